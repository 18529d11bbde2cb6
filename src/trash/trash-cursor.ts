import { decodeOpaque, encodeOpaque } from '../contract/opaque-json.js';
import { isStorableInstant } from '../tasks/instants.js';
import { InvalidCursorError } from '../tasks/task-errors.js';
import type { TrashPosition } from './trash.store.js';

// A trash cursor is base64url JSON { v: 1, d: the last item's deleted_at (toISOString), i: its id }.
// It carries only a position, never authority: the trash read is the token's user's.

const VERSION = 1;

export function encodeTrashCursor({ deletedAt, id }: TrashPosition): string {
  return encodeOpaque({ v: VERSION, d: deletedAt.toISOString(), i: id });
}

/** The position a cursor of encodeTrashCursor holds; InvalidCursorError for any other text. */
export function decodeTrashCursor(cursor: string): TrashPosition {
  const payload = decodeOpaque(cursor);
  if (
    payload === undefined ||
    Object.keys(payload).sort().join() !== 'd,i,v' ||
    payload.v !== VERSION ||
    typeof payload.d !== 'string' ||
    !isInstant(payload.d) ||
    !(typeof payload.i === 'number' && Number.isSafeInteger(payload.i) && payload.i >= 1)
  ) {
    throw new InvalidCursorError('is not a cursor this API issued');
  }
  return { deletedAt: new Date(payload.d), id: payload.i };
}

/** Exactly what `toISOString` writes, for an instant the database holds: nothing else reaches the query. */
function isInstant(value: string): boolean {
  const date = new Date(value);
  return !Number.isNaN(date.getTime()) && date.toISOString() === value && isStorableInstant(date);
}
