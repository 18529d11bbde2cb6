/**
 * The text of the API's opaque tokens (list and trash cursors, changes tokens): a JSON object as
 * base64url. They carry positions, never authority, so they are not signed.
 */
export function encodeOpaque(payload: object): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** The object an opaque token holds; undefined for any text that is not one. */
export function decodeOpaque(text: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
