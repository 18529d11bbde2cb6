/** One reference token of an RFC 6901 JSON Pointer: `~` and `/` escaped. */
export function pointerToken(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The name a reference token stands for: the inverse of `pointerToken`. */
export function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The pointer to a member `name` of the document's root, e.g. `/limit`. */
export function pointerTo(name: string): string {
  return `/${pointerToken(name)}`;
}
