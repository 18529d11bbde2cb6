import { decodeOpaque, encodeOpaque } from '../contract/opaque-json.js';
import { InvalidCursorError } from '../tasks/task-errors.js';

// A deliveries cursor is base64url JSON { v: 1, i: the last delivery's id }: the next page holds
// the older ones (smaller ids). It carries only a position, never authority.

const VERSION = 1;

export function encodeDeliveryCursor(lastId: number): string {
  return encodeOpaque({ v: VERSION, i: lastId });
}

/** The id a cursor of encodeDeliveryCursor holds; InvalidCursorError for any other text. */
export function decodeDeliveryCursor(cursor: string): number {
  const payload = decodeOpaque(cursor);
  if (
    payload === undefined ||
    Object.keys(payload).sort().join() !== 'i,v' ||
    payload.v !== VERSION ||
    !(typeof payload.i === 'number' && Number.isSafeInteger(payload.i) && payload.i >= 1)
  ) {
    throw new InvalidCursorError('is not a cursor this API issued');
  }
  return payload.i;
}
