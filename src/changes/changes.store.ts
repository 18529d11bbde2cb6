import type { Knex } from 'knex';
import { LIST_COLUMNS, type ListRow } from '../lists/lists.store.js';
import { TASK_COLUMNS, type TaskRow } from '../tasks/tasks.store.js';

// The guarantee the feed stands on (db/migrations/20261220000000_lists_subtasks_trash_changes.ts):
// every insert or visible update of a task or list, and every deletion (its tombstone), takes the
// next change number while it holds the user's change lock in shared mode, until its transaction
// ends. The feed takes that lock exclusively first (changes_barrier): it waits for the user's
// writes in flight to commit or roll back, and holds off new ones, which will take greater
// numbers, until it has read. Then it reads in ONE statement (one snapshot) the tasks, lists and
// tombstones numbered after `since`, in number order, and the user's clock: so every number of
// the user's up to the last one it reads is either read or never will commit, and a reader that
// goes on from that number never passes a change it has not shown.

/** The user's clock as the feed's snapshot has it. */
export interface FeedClock {
  /** The user's last number (0 before their first change): no later write of theirs takes one below it. */
  readonly seq: number;
  /** The highest number of the history pruned: a reader behind it may have missed a deletion. */
  readonly horizon: number;
}

/** One change as the feed read it, with its number; an upsert's row as it is now. */
export type FeedEntry = { readonly seq: number; readonly id: number } & (
  | { readonly entity: 'task'; readonly change: 'upserted'; readonly row: TaskRow }
  | { readonly entity: 'list'; readonly change: 'upserted'; readonly row: ListRow }
  | { readonly entity: 'task' | 'list'; readonly change: 'trashed' | 'deleted' }
);

export interface FeedRead {
  readonly clock: FeedClock;
  readonly entries: FeedEntry[];
}

export interface FeedQuery {
  /** Changes numbered after this one; undefined: a snapshot of the live tasks and lists. */
  readonly since: number | undefined;
  readonly limit: number;
}

/** Every column of either kind of row; each branch of the union fills its own and leaves the rest null. */
const COLUMNS = [...new Set([...TASK_COLUMNS, ...LIST_COLUMNS])];

function columnsOf(own: readonly string[], renamed: Record<string, string> = {}): string {
  return COLUMNS.map((column) =>
    renamed[column] !== undefined
      ? `${renamed[column]} as "${column}"`
      : own.includes(column)
        ? `"${column}"`
        : `null as "${column}"`,
  ).join(', ');
}

/**
 * The feed's one statement. Each branch walks its (user_id, number) index from `since` and stops
 * after `limit` rows; the outer order and limit merge them. Without `since`, the live rows only
 * (no trashed task, no tombstone). The clock is joined so that an empty page still carries it.
 * Run it behind changes_barrier (readFeed does).
 */
export function feedQuery(db: Knex, userId: string, { since, limit }: FeedQuery): Knex.Raw {
  const snapshot = since === undefined;
  const branches = [
    `(select 'task' as entity, change_seq as seq,
             case when deleted_at is null then 'upserted' else 'trashed' end as change, ${columnsOf(TASK_COLUMNS)}
        from tasks
       where user_id = :userId and change_seq > :since${snapshot ? ' and deleted_at is null' : ''}
       order by change_seq limit :limit)`,
    `(select 'list', change_seq, 'upserted', ${columnsOf(LIST_COLUMNS)}
        from lists
       where user_id = :userId and change_seq > :since
       order by change_seq limit :limit)`,
    ...(snapshot
      ? []
      : [
          `(select entity, seq, 'deleted', ${columnsOf([], { id: 'entity_id' })}
              from change_tombstones
             where user_id = :userId and seq > :since
             order by seq limit :limit)`,
        ]),
  ];
  return db.raw(
    `with horizon as (
       select coalesce(max(horizon), 0) as horizon from change_horizons where user_id = :userId
     ), clock as (
       -- The user's clock: their greatest number still held (history pruned included).
       select greatest((select max(change_seq) from tasks where user_id = :userId),
                       (select max(change_seq) from lists where user_id = :userId),
                       (select max(seq) from change_tombstones where user_id = :userId),
                       horizon.horizon) as clock_seq,
              horizon.horizon as clock_horizon
         from horizon
     ), feed as (
       ${branches.join('\n union all\n')}
     )
     select clock.clock_seq, clock.clock_horizon, feed.*
       from clock left join feed on true
      order by feed.seq
      limit :limit`,
    { userId, since: since ?? 0, limit },
  );
}

interface FeedRow extends Record<string, unknown> {
  clock_seq: number;
  clock_horizon: number;
  entity: 'task' | 'list' | null;
  seq: number;
  change: 'upserted' | 'trashed' | 'deleted';
  id: number;
}

/**
 * Up to `limit` changes after `since` (or of the snapshot), and the clock, as one snapshot has
 * them once the user's writes in flight have ended.
 */
export async function readFeed(db: Knex, userId: string, query: FeedQuery): Promise<FeedRead> {
  const { rows } = await db.transaction(async (trx) => {
    await trx.raw('select changes_barrier(?)', [userId]);
    return (await feedQuery(trx, userId, query)) as { rows: FeedRow[] };
  });
  const first = rows[0];
  if (!first) throw new Error('the feed query returned no clock');
  const entries = rows.flatMap((row): FeedEntry[] => (row.entity === null ? [] : [entryOf(row)]));
  return { clock: { seq: first.clock_seq, horizon: first.clock_horizon }, entries };
}

function entryOf(row: FeedRow): FeedEntry {
  const { seq, id, change, entity } = row as FeedRow & { entity: 'task' | 'list' };
  if (change !== 'upserted') return { entity, change, id, seq };
  return entity === 'task'
    ? { entity, change, id, seq, row: row as unknown as TaskRow }
    : { entity, change, id, seq, row: row as unknown as ListRow };
}
