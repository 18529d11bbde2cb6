import { InvalidCursorError } from './task-errors.js';

/** Where the previous page ended (newest-first order: created_at, then id) and the filter it belongs to. */
export interface ListPosition {
  readonly createdAt: string;
  readonly id: number;
  readonly status: string;
}

const VERSION = 1;

/** Opaque to clients; carries only a position, never authority (every query is scoped by the token's user). */
export function encodeCursor(position: ListPosition): string {
  const payload = { v: VERSION, c: position.createdAt, i: position.id, s: position.status };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(cursor: string, status: string): ListPosition {
  const payload = parse(cursor);
  if (
    payload?.v !== VERSION ||
    typeof payload.c !== 'string' ||
    !isCanonicalTimestamp(payload.c) ||
    typeof payload.i !== 'number' ||
    !Number.isSafeInteger(payload.i) ||
    payload.i < 1 ||
    typeof payload.s !== 'string'
  ) {
    throw new InvalidCursorError('is not a cursor this API issued');
  }
  if (payload.s !== status) {
    throw new InvalidCursorError('belongs to a list with other filters; start again without a cursor');
  }
  return { createdAt: payload.c, id: payload.i, status: payload.s };
}

function parse(cursor: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Exactly what `toISOString` writes for years 1 to 9999, which PostgreSQL's timestamptz also holds. */
function isCanonicalTimestamp(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) || value.startsWith('0000')) return false;
  const date = new Date(value);
  return !Number.isNaN(date.getTime()) && date.toISOString() === value;
}
