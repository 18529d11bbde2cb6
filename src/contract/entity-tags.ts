import { createHash } from 'node:crypto';
import { invalidRequest } from './domain-error.js';

/** One entity tag of an `If-Match` or `If-None-Match` list (RFC 9110 §8.8.3). */
export interface EntityTag {
  readonly weak: boolean;
  /** The opaque tag, double quotes included, as an `ETag` header carries a strong tag. */
  readonly opaque: string;
}

/** What a precondition header names: any current representation (`*`), or these tags. */
export type EntityTagCondition = '*' | readonly EntityTag[];

/**
 * The strong entity tag of a JSON representation: 128 bits of the SHA-256 of its serialization,
 * base64url, quoted. A hash of exactly what the client reads changes whenever any field of it
 * does and stays put when a write leaves it as it was, with no column to keep in step with every
 * write path. The caller must build the representation with a fixed key order.
 */
export function strongEntityTag(representation: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(representation)).digest();
  return `"${digest.subarray(0, 16).toString('base64url')}"`;
}

/**
 * Parses `*` or a comma-separated list of entity tags, with optional white space around each, as
 * the spec's pattern for these headers has it; `undefined` for anything else. A tag may contain a
 * comma (`"a,b"`), so the list is read tag by tag rather than split.
 */
export function parseEntityTags(value: string): EntityTagCondition | undefined {
  if (/^\s*\*\s*$/.test(value)) return '*';
  const element = /\s*(W\/)?("[\x21\x23-\x7E]*")\s*/y;
  const tags: EntityTag[] = [];
  for (;;) {
    const match = element.exec(value);
    if (match === null) return undefined;
    tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
    if (element.lastIndex === value.length) return tags;
    if (value[element.lastIndex] !== ',') return undefined;
    element.lastIndex += 1;
  }
}

/** `If-Match` (RFC 9110 §13.1.1) holds: `*`, or a strong tag equal to the current one (a weak tag never matches). */
export function ifMatchHolds(condition: EntityTagCondition, current: string): boolean {
  return condition === '*' || condition.some((tag) => !tag.weak && tag.opaque === current);
}

/** `If-None-Match` (RFC 9110 §13.1.2) fails, i.e. the client's copy is current: `*`, or any tag equal to the current one, weak or not. */
export function ifNoneMatchFails(condition: EntityTagCondition, current: string): boolean {
  return condition === '*' || condition.some((tag) => tag.opaque === current);
}

/**
 * The condition in this header, or in the body at this pointer (a bulk action's `if_match`). The
 * OpenAPI validator has already refused a value outside the spec's pattern; should one get through
 * anyway, it is the client's error, not a condition to guess at.
 */
export function entityTagCondition(
  source: 'If-Match' | 'If-None-Match' | { readonly bodyPointer: string },
  value: string,
): EntityTagCondition {
  const condition = parseEntityTags(value);
  if (condition === undefined) {
    const at =
      typeof source === 'string'
        ? { location: 'header' as const, pointer: `/${source.toLowerCase()}` }
        : { location: 'body' as const, pointer: source.bodyPointer };
    throw invalidRequest([{ ...at, message: 'must be "*" or a list of entity tags' }]);
  }
  return condition;
}
