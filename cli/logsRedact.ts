import { redactSecrets } from '../lambdas/core/redact';

/**
 * What `framebridge logs` must not print of a state's data: presigned URL
 * signatures and credentials (redactSecrets), the stack's own secrets
 * verbatim, secret-looking query parameters of any URL (a user's callback URL
 * may carry `?token=…`), and the values of secret-looking JSON members.
 */

const SECRET_NAME =
  /secret|password|passphrase|token|api[-_]?key|authori[sz]ation|credential|signature|private[-_]?key/i;
const SECRET_QUERY_PARAMETER =
  /([?&](?:[^=&\s"'<>\\]*(?:secret|password|token|api[-_]?key|signature|credential)[^=&\s"'<>\\]*|sig)=)[^&\s"'<>\\]+/gi;
const REDACTED = '[redacted]';

export function redactText(text: string, secrets: readonly string[]): string {
  return redactSecrets(text, secrets).replace(SECRET_QUERY_PARAMETER, `$1${REDACTED}`);
}

function redactJson(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactJson(item, secrets));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      redactText(key, secrets),
      // A member's value under a secret-looking name goes whatever its type; `keyId` and the like stay.
      SECRET_NAME.test(key) && inner !== null && inner !== '' ? REDACTED : redactJson(inner, secrets),
    ]),
  );
}

/** A state's input or output (JSON text) made safe to print; answers the parsed value when it is JSON. */
export function redactData(text: string, secrets: readonly string[]): { text: string; value?: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { text: redactText(text, secrets) };
  }
  const value = redactJson(parsed, secrets);
  return { text: JSON.stringify(value), value };
}
