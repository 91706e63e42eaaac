import { openApiDocument } from '../core/openapi';
import { httpHandler, json, publicBaseUrl } from '../shared/http';

/** GET /openapi.json — public, like the docs of the API it describes; the server is where it was fetched from. */
export const handler = httpHandler(async (event) =>
  json(200, openApiDocument({ serverUrl: publicBaseUrl(event) }), { 'cache-control': 'public, max-age=300' }),
);
