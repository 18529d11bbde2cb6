import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { BackgroundJob } from '../jobs/background-job.js';

/** Tombstones deleted per transaction: each batch holds the clocks of its users only briefly. */
const BATCH = 1000;

/** What one pruner deletes and the horizons it raises. */
interface PrunedHistory {
  /** Its advisory lock's name: one pruner of each kind at a time. */
  readonly lock: string;
  /** The table pruned, keyed by (user_id, seq). */
  readonly table: 'change_tombstones' | 'events';
  /** The column whose age prunes a row. */
  readonly agedBy: 'deleted_at' | 'created_at';
  /** The users' horizons: the greatest number pruned of each. */
  readonly horizons: 'change_horizons' | 'event_horizons';
}

/**
 * Deletes the rows of `history.table` older than `historyDays`, a batch per transaction, and in
 * the same statement raises each affected user's horizon to the greatest number it deleted: a
 * reader behind the horizon may have missed one of them. Readers see a batch's rows or its raised
 * horizons, never neither. Returns how many it pruned.
 *
 * One pruner of each kind at a time (a transaction-scoped advisory lock; another process finding
 * it taken leaves the work to the holder): two pruners deleting and raising the same rows in
 * different orders could deadlock. Writers only insert rows and never touch horizons.
 */
async function pruneInBatches(db: Knex, history: PrunedHistory, historyDays: number): Promise<number> {
  let pruned = 0;
  for (;;) {
    const batch = await db.transaction(async (trx) => {
      const { rows: locked } = await trx.raw<{ rows: { free: boolean }[] }>(
        'select pg_try_advisory_xact_lock(hashtext(?)) as free',
        [history.lock],
      );
      if (!locked[0]?.free) return 0;
      const { rows } = await trx.raw<{ rows: { pruned: number }[] }>(
        `with doomed as (
           select user_id, seq from :table:
            where :agedBy: < now() - make_interval(days => cast(:historyDays as integer))
            order by :agedBy:
            limit :batch
         ), gone as (
           delete from :table: pruned using doomed
            where pruned.user_id = doomed.user_id and pruned.seq = doomed.seq
           returning pruned.user_id, pruned.seq
         ), raised as (
           -- Runs whether or not it is read, as every data-modifying part of a statement does.
           insert into :horizons: as kept (user_id, horizon)
           select user_id, max(seq) from gone group by user_id
           on conflict (user_id) do update set horizon = greatest(kept.horizon, excluded.horizon)
         )
         select count(*)::integer as pruned from gone`,
        { ...history, historyDays, batch: BATCH },
      );
      return rows[0]?.pruned ?? 0;
    });
    pruned += batch;
    if (batch < BATCH) return pruned;
  }
}

/**
 * Deletes the changes feed's tombstones older than `historyDays` and raises the users' change
 * horizons: a token behind one answers 410. A periodic job: the runner of named jobs calls it
 * with CHANGES_HISTORY_DAYS.
 */
export function pruneChangeHistory(db: Knex, historyDays: number): Promise<number> {
  const history = {
    lock: 'prune_change_history',
    table: 'change_tombstones',
    agedBy: 'deleted_at',
    horizons: 'change_horizons',
  } as const;
  return pruneInBatches(db, history, historyDays);
}

/**
 * Deletes the events (the outbox the live stream and the webhooks read) older than `historyDays`
 * and raises the users' event horizons: a stream resuming behind one starts with a reset.
 */
export function pruneEvents(db: Knex, historyDays: number): Promise<number> {
  const history = { lock: 'prune_events', table: 'events', agedBy: 'created_at', horizons: 'event_horizons' } as const;
  return pruneInBatches(db, history, historyDays);
}

/** The pruning of the feed's deletions and of the events: hourly, as a job of the engine. */
export function changeHistoryPruneJob(db: Knex, historyDays: number, logger: Logger): BackgroundJob {
  return {
    name: 'change-history-prune',
    schedule: '37 * * * *',
    queue: { retryLimit: 0, expireInSeconds: 30 * 60 },
    run: async () => {
      const pruned = await pruneChangeHistory(db, historyDays);
      if (pruned > 0)
        logger.info({ pruned }, `pruned ${pruned} deletions from the changes feed after ${historyDays} days`);
      const events = await pruneEvents(db, historyDays);
      if (events > 0) logger.info({ pruned: events }, `pruned ${events} events after ${historyDays} days`);
    },
  };
}
