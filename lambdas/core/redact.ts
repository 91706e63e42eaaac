/**
 * Removes what must never reach a log or an error message: presigned URL
 * signatures and credentials (anything an upstream echoes back of a URL we
 * signed), and the given secrets verbatim.
 */
const SIGNED_QUERY_PARAMETERS = /(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"'<>]+/gi;

export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let redacted = text.replace(SIGNED_QUERY_PARAMETERS, '$1[redacted]');
  for (const secret of secrets) if (secret) redacted = redacted.replaceAll(secret, '[redacted]');
  return redacted;
}
