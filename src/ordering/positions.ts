import type { Knex } from 'knex';
import { generateKeyBetween, generateNKeysBetween } from 'fractional-indexing';

// Manual order: each row of a group (a list's top-level tasks, a task's subtasks, a user's lists)
// has a fractional-indexing key, unique in the group and compared byte by byte (collate "C").
// A row created (or moved to the end) gets the key its change number names (fi_integer_key, in
// db/migrations/20261220000000_lists_subtasks_trash_changes.ts): after every key of its group,
// made without reading the group, and never another write's. The keys a move makes between two
// neighbours must therefore never be such a key, which a create still in flight may hold: a key
// between neighbours has a fractional part, and a rebalanced group's keys lie below 'a0' (where no
// change number's key is). Keys between close neighbours grow, so once one would be too long the
// whole group is given fresh, short keys in the same order. The caller holds the user's tree lock
// (lockTaskTree), which serializes moves: two never read the same gap.

/** The longest key a move gives; past it, the group is rebalanced. The spec allows 64 characters. */
export const MAX_KEY_LENGTH = 50;

/** A group of rows in manual order, as a table and the column values that select exactly its rows. */
export interface OrderedGroup {
  readonly table: 'tasks' | 'lists';
  /** Equalities (null: `is null`) selecting the group's rows, the user's id among them. */
  readonly members: Readonly<Record<string, string | number | null>>;
}

/** Where in the group the moved row goes: right after or before a member, or last. */
export type Destination = { readonly after: number } | { readonly before: number } | 'last';

export type Placement =
  /** The moved row's new key. */
  | { readonly key: string }
  /** After the group's last: the key the write's change number names (keyAtEnd). */
  | 'at the end'
  /** The moved row is already there: nothing to write. */
  | 'in place'
  /** The neighbour the destination names is not a member of the group (or is the moved row). */
  | 'no such neighbour';

interface Keyed {
  readonly id: number;
  readonly position: string;
}

/** The group's members but the moved row. */
function others(db: Knex, group: OrderedGroup, movedId: number): Knex.QueryBuilder {
  return db(group.table).where(group.members).whereNot('id', movedId);
}

/** The nearest key on one side of `key` among the others, or null when there is none. */
async function nearest(
  db: Knex,
  group: OrderedGroup,
  movedId: number,
  side: '<' | '>',
  key: string | null,
): Promise<string | null> {
  const query = others(db, group, movedId)
    .first<Keyed | undefined>('position')
    .orderBy('position', side === '<' ? 'desc' : 'asc');
  if (key !== null) query.whereRaw(`position ${side} ? collate "C"`, [key]);
  return (await query)?.position ?? null;
}

/** The keys the moved row goes between (null: the group's start or end), or undefined without the neighbour. */
async function bounds(
  db: Knex,
  group: OrderedGroup,
  movedId: number,
  destination: Destination,
): Promise<[string | null, string | null] | undefined> {
  if (destination === 'last') return [await nearest(db, group, movedId, '<', null), null];
  const neighbourId = 'after' in destination ? destination.after : destination.before;
  const neighbour = await others(db, group, movedId).where('id', neighbourId).first<Keyed | undefined>('position');
  if (!neighbour) return undefined;
  return 'after' in destination
    ? [neighbour.position, await nearest(db, group, movedId, '>', neighbour.position)]
    : [await nearest(db, group, movedId, '<', neighbour.position), neighbour.position];
}

/** The key of change number 0: every key a change number names is this or after it. */
const LOWEST_NUMBERED_KEY = 'a0';

/** Whether the key is one a change number names (an integer part only, at or after 'a0'). */
function isNumbered(key: string): boolean {
  const head = key.charCodeAt(0) - 'a'.charCodeAt(0);
  return head >= 0 && key.length === head + 2;
}

/**
 * A key between two keys (null: the group's start), never a numbered one: where the package
 * would give an integer key, the key between it and the neighbour on its other side, which has
 * a fractional part.
 */
function keyBetween(low: string | null, high: string): string {
  const key = generateKeyBetween(low, high);
  if (!isNumbered(key)) return key;
  return low === null ? generateKeyBetween(key, high) : generateKeyBetween(low, key);
}

/**
 * Gives every member but the moved row a fresh key below 'a0', in the same order, leaving free
 * the slot right before the member whose key is `before`; returns that slot's key. Two phases,
 * because the unique index on the group's keys is checked row by row: every key (the moved row's
 * too, when it is a member) is first prefixed with '!', which sorts before every key character,
 * then the fresh keys are written.
 */
async function rebalance(db: Knex, group: OrderedGroup, movedId: number, before: string): Promise<string> {
  const rest = await others(db, group, movedId).select<Keyed[]>('id', 'position').orderBy('position');
  const slot = rest.findIndex((row) => row.position === before);
  const keys = generateNKeysBetween(null, LOWEST_NUMBERED_KEY, rest.length + 1);
  const fresh = keys.filter((_, index) => index !== slot);
  await db(group.table)
    .where(group.members)
    .update({ position: db.raw(`'!' || position`) });
  await db(group.table)
    .where(group.members)
    .update({ position: db.raw('fresh.position'), updated_at: db.fn.now() })
    .updateFrom(db.raw('unnest(?::bigint[], ?::text[]) as fresh (id, position)', [rest.map((row) => row.id), fresh]))
    .whereRaw('??.id = fresh.id', [group.table]);
  return keys[slot]!;
}

/**
 * Where the moved row goes in the group: its new key (the group rebalanced first when the key
 * would be longer than MAX_KEY_LENGTH), or 'in place' when it is already there (`current`: its key,
 * when it is a member of this group), or 'no such neighbour'.
 */
export async function placeInGroup(
  db: Knex,
  group: OrderedGroup,
  movedId: number,
  current: string | null,
  destination: Destination,
): Promise<Placement> {
  const between = await bounds(db, group, movedId, destination);
  if (!between) return 'no such neighbour';
  const [low, high] = between;
  // Keys are ASCII: JavaScript's comparison is the byte order the database uses.
  if (current !== null && (low === null || low < current) && (high === null || current < high)) return 'in place';
  if (high === null) return 'at the end';
  const key = keyBetween(low, high);
  if (key.length <= MAX_KEY_LENGTH) return { key };
  return { key: await rebalance(db, group, movedId, high) };
}

/** The destination a move's `after_id` or `before_id` names (the spec refuses both), else last. */
export function destinationOf(move: { readonly after_id?: number; readonly before_id?: number }): Destination {
  if (move.after_id !== undefined) return { after: move.after_id };
  if (move.before_id !== undefined) return { before: move.before_id };
  return 'last';
}

/** The key after every key of the user's group: the key of a change number taken now. */
export function keyAtEnd(db: Knex, userId: string): Knex.Raw {
  return db.raw('fi_integer_key(next_change_seq(?))', [userId]);
}
