import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { errorView } from '../../../../lambdas/core/apiViews';
import { API_ERROR_CODES, AUTH_REFUSALS, apiErrorCodes, statusOfApiError } from '../../../../lambdas/core/contract';

describe('Contract: API error codes', () => {
  it('gives every code an error status and a meaning', () => {
    for (const code of apiErrorCodes) {
      expect(statusOfApiError(code), code).toBeGreaterThanOrEqual(400);
      expect(statusOfApiError(code), code).toBeLessThan(600);
      expect(API_ERROR_CODES[code].meaning.length, code).toBeGreaterThan(10);
    }
    // A FAILED job is served as 422 with its own body: no error answer may claim that status.
    expect(apiErrorCodes.filter((code) => statusOfApiError(code) === 422)).toEqual([]);
  });

  it("answers a refused key with the codes' statuses", () => {
    expect(AUTH_REFUSALS.missing).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(AUTH_REFUSALS.refused).toMatchObject({ status: 403, code: 'forbidden' });
  });

  it("builds bodies in Segmind's shape: the message as a string, the code beside it, details only field and rule", () => {
    const issue = { field: 'seed', rule: 'must be between 1 and 999999', extra: 'not sent' };

    expect(JSON.stringify(errorView('invalid_request', 'Invalid request: seed …', [issue]))).toBe(
      '{"error":"Invalid request: seed …","error_code":"invalid_request","details":[{"field":"seed","rule":"must be between 1 and 999999"}]}',
    );
    expect(errorView('not_found', 'No request with id x')).toEqual({
      error: 'No request with id x',
      error_code: 'not_found',
      details: [],
    });
  });

  it('is the table of docs/errors.md, code for code and status for status', async () => {
    const doc = await readFile(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
    const codes = doc.slice(doc.indexOf('## Codes'), doc.indexOf('\n## ', doc.indexOf('## Codes') + 1));
    const rows = [...codes.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map(([, code, status]) => [
      code,
      Number(status),
    ]);

    expect(rows).toEqual(apiErrorCodes.map((code) => [code, statusOfApiError(code)]));
  });
});
