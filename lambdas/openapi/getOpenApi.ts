import { httpHandler, json, publicBaseUrl } from '../adapters/http';
import { openApiDocument } from '../core/openapi';

/** GET /openapi.json — public, like the docs of the API it describes; the server is where it was fetched from. */
export const handler = httpHandler(async (event) =>
  json(200, openApiDocument({ serverUrl: publicBaseUrl(event) }), { 'cache-control': 'public, max-age=300' }),
);
