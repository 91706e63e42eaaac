import { Logger } from '@aws-lambda-powertools/logger';

/** The one structured logger. Level from POWERTOOLS_LOG_LEVEL (the local stack quiets it). */
export const logger = new Logger({ serviceName: 'framebridge' });
