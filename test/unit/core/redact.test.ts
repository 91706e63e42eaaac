import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../lambdas/core/redact';

describe('Core: redactSecrets', () => {
  it('removes presigned signatures and credentials but keeps the rest of the URL', () => {
    const url =
      'http://127.0.0.1:4568/b/uploads/a.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=S3RVER%2F20261125%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261125T171650Z&X-Amz-Expires=3600&X-Amz-Security-Token=abc&X-Amz-Signature=6a4c9f11&X-Amz-SignedHeaders=host';
    const redacted = redactSecrets(`first_frame_url ${url} is not reachable`);
    expect(redacted).not.toContain('6a4c9f11');
    expect(redacted).not.toContain('S3RVER%2F');
    expect(redacted).not.toContain('Security-Token=abc');
    expect(redacted).toContain('http://127.0.0.1:4568/b/uploads/a.png?X-Amz-Algorithm=AWS4-HMAC-SHA256');
    expect(redacted).toContain('X-Amz-Signature=[redacted]');
  });

  it('removes the given secrets verbatim and ignores empty ones', () => {
    expect(redactSecrets('key sk_live_123 used', ['sk_live_123', ''])).toBe('key [redacted] used');
  });
});
