import { SFNClient } from '@aws-sdk/client-sfn';

/** Created once per cold start. */
export const sfn = new SFNClient({});
