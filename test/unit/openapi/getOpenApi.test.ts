import { describe, expect, it } from 'vitest';
import { handler as getOpenApi } from '../../../lambdas/openapi/getOpenApi';
import { apiEvent, bodyOf, API_HOST as HOST } from '../apiEvent';
import { lambdaContext } from '../lambdaContext';

describe('Handler: GET /openapi.json', () => {
  it('answers the document, with this API as its server, to a caller without a key', async () => {
    // Act
    const response = await getOpenApi(
      apiEvent({ method: 'GET', path: '/openapi.json', owner: null }),
      lambdaContext('getOpenApi'),
    );

    // Assert
    expect(response.statusCode).toBe(200);
    const body = bodyOf(response);
    expect(body).toMatchObject({ openapi: '3.1.0', servers: [{ url: `https://${HOST}/prod` }] });
    expect(Object.keys(body.paths as object)).toContain('/v2/pixverse-5-transition');
    expect(response.headers).toMatchObject({ 'cache-control': 'public, max-age=300' });
  });
});
