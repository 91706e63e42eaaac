import { SegmindClient } from '../providers/segmind';
import { segmindApiKey } from './segmindKey';

export function segmindClientFrom(env: {
  SEGMIND_BASE_URL: string;
  SEGMIND_API_KEY?: string;
  SEGMIND_API_KEY_SECRET_ARN?: string;
}): SegmindClient {
  return new SegmindClient({ baseUrl: env.SEGMIND_BASE_URL, apiKey: () => segmindApiKey(env) });
}
