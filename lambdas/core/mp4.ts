/**
 * An MP4 (ISO base media file) starts with a box whose type is `ftyp`, at bytes
 * 4–8. Checking it on the first bytes stops HTML error pages and other payloads
 * from being stored as someone's video.
 */
export const MP4_SNIFF_BYTES = 12;

export function looksLikeMp4(head: Uint8Array): boolean {
  if (head.length < MP4_SNIFF_BYTES) return false;
  const boxSize = ((head[0] ?? 0) << 24) | ((head[1] ?? 0) << 16) | ((head[2] ?? 0) << 8) | (head[3] ?? 0);
  const type = String.fromCharCode(head[4] ?? 0, head[5] ?? 0, head[6] ?? 0, head[7] ?? 0);
  return type === 'ftyp' && (boxSize === 1 || boxSize >= 8);
}
