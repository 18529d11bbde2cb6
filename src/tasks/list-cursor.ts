import { decodeOpaque, encodeOpaque } from '../contract/opaque-json.js';
import { createHash } from 'node:crypto';
import { isStorableInstant } from './instants.js';
import { InvalidCursorError } from './task-errors.js';
import {
  SORT_VALUES,
  type Direction,
  type ListPosition,
  type ListView,
  type SortName,
  type SortType,
  type SortValue,
} from './list-query.js';

// A cursor is base64url JSON: { v: 2, s: sort, o: direction, k: the last row's sort value,
// i: its id, f: fingerprint of the view }, and for relevance b: the candidates' bound
// (ListPosition.candidatesUpTo). It carries only a position, never authority: every query is
// scoped by the token's user, so another user's cursor positions within their own tasks.

const VERSION = 2;
const FINGERPRINT_LENGTH = 22; // base64url characters: 132 bits of SHA-256
const KEYS = ['f', 'i', 'k', 'o', 's', 'v'];
const RELEVANCE_KEYS = ['b', ...KEYS];

/** A sort value as JSON carries it: instants as `toISOString` text. */
type CursorValue = string | number | null;

interface Payload {
  readonly v: typeof VERSION;
  readonly s: SortName;
  readonly o: Direction;
  readonly k: CursorValue;
  readonly i: number;
  readonly f: string;
  readonly b?: number;
}

export function encodeCursor(view: ListView, position: ListPosition): string {
  const payload: Payload = {
    v: VERSION,
    s: view.sort,
    o: view.direction,
    k: toCursorValue(position.value),
    i: position.id,
    f: fingerprint(view),
    ...(view.sort === 'relevance' ? { b: candidatesBound(position) } : {}),
  };
  return encodeOpaque(payload);
}

/** The position a cursor issued for this view holds; InvalidCursorError for any other text. */
export function decodeCursor(cursor: string, view: ListView): ListPosition {
  const payload = decodeOpaque(cursor);
  if (isEarlierRelevance(payload)) {
    throw new InvalidCursorError(
      'is a relevance cursor from an earlier version of this API; start again without a cursor',
    );
  }
  if (!isPayload(payload)) throw new InvalidCursorError('is not a cursor this API issued');
  if (payload.s !== view.sort || payload.o !== view.direction || payload.f !== fingerprint(view)) {
    throw new InvalidCursorError('belongs to a list with other filters or another order; start again without a cursor');
  }
  const position = { value: fromCursorValue(payload.s, payload.k), id: payload.i };
  return payload.b === undefined ? position : { ...position, candidatesUpTo: payload.b };
}

function candidatesBound(position: ListPosition): number {
  if (position.candidatesUpTo === undefined) throw new Error('a relevance position needs its candidates bound');
  return position.candidatesUpTo;
}

/** A relevance cursor as this API wrote it before relevance was bounded: all but `b`. */
function isEarlierRelevance(payload: Record<string, unknown> | undefined): boolean {
  return payload?.s === 'relevance' && !Object.hasOwn(payload, 'b') && isPayload({ ...payload, b: 1 });
}

/**
 * A digest of everything that decides which tasks a list holds and in what order (not `limit`):
 * a cursor only fits the view it was issued for. Filters are compared as sets and instants as
 * instants, so that equivalent spellings of one view share cursors.
 */
function fingerprint({ filters, sort, direction }: ListView): string {
  const canonical = [
    sort,
    direction,
    filters.completion,
    [...new Set(filters.priorities)].sort((a, b) => a - b),
    [...new Set(filters.tags)].sort(),
    filters.dueAfter?.getTime() ?? null,
    filters.dueBefore?.getTime() ?? null,
    filters.overdue,
    filters.search,
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, FINGERPRINT_LENGTH);
}

function toCursorValue(value: SortValue): CursorValue {
  if (value instanceof Date) return value.toISOString();
  // A real read through a double: carried as exactly that float4, so that it binds back to itself.
  return typeof value === 'number' ? Math.fround(value) : value;
}

function fromCursorValue(sort: SortName, value: CursorValue): SortValue {
  return SORT_VALUES[sort].type === 'timestamptz' && typeof value === 'string' ? new Date(value) : value;
}

/** Exactly the shape `encodeCursor` writes, with a value the sort's SQL type holds: nothing else reaches a query. */
function isPayload(payload: Record<string, unknown> | undefined): payload is Payload & Record<string, unknown> {
  if (payload === undefined) return false;
  const { v, s, o, k, i, f, b } = payload;
  const keys = s === 'relevance' ? RELEVANCE_KEYS : KEYS;
  if (Object.keys(payload).sort().join() !== keys.join()) return false;
  return (
    (s !== 'relevance' || isId(b)) &&
    v === VERSION &&
    typeof s === 'string' &&
    Object.hasOwn(SORT_VALUES, s) &&
    (o === 'asc' || o === 'desc') &&
    isId(i) &&
    typeof f === 'string' &&
    f.length === FINGERPRINT_LENGTH &&
    isSortValue(SORT_VALUES[s as SortName], k)
  );
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function isSortValue(sort: { type: SortType; nullable: boolean }, value: unknown): boolean {
  if (value === null) return sort.nullable;
  switch (sort.type) {
    case 'timestamptz':
      return typeof value === 'string' && isCanonicalInstant(value);
    case 'smallint':
      return Number.isInteger(value) && Math.abs(value as number) <= 32767;
    case 'real':
      return typeof value === 'number' && Number.isFinite(value) && Math.fround(value) === value;
    case 'text':
      // PostgreSQL text holds no NUL, and UTF-8 no lone surrogate.
      return typeof value === 'string' && !value.includes('\u0000') && value.isWellFormed();
  }
}

/** Exactly what `toISOString` writes, for an instant a task can hold (years 1 to 9999 in UTC). */
function isCanonicalInstant(value: string): boolean {
  const date = new Date(value);
  return !Number.isNaN(date.getTime()) && date.toISOString() === value && isStorableInstant(date);
}
