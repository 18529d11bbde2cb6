import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { BackgroundJob } from '../jobs/background-job.js';

/** Tombstones deleted per transaction: each batch holds the clocks of its users only briefly. */
const BATCH = 1000;

/**
 * Runs a pruning statement, a batch per transaction, until a batch prunes fewer than BATCH rows;
 * returns how many it pruned. The statement deletes the rows past `historyDays` and, in the same
 * statement, raises each affected user's horizon to the greatest number it deleted: a reader
 * behind the horizon may have missed one of them. Readers see a batch's rows or its raised
 * horizons, never neither.
 *
 * One pruner of each kind at a time (a transaction-scoped advisory lock; another process finding
 * it taken leaves the work to the holder): two pruners deleting and raising the same rows in
 * different orders could deadlock. Writers only insert rows and never touch horizons.
 */
async function pruneInBatches(db: Knex, lock: string, statement: string, historyDays: number): Promise<number> {
  let pruned = 0;
  for (;;) {
    const batch = await db.transaction(async (trx) => {
      const { rows: locked } = await trx.raw<{ rows: { free: boolean }[] }>(
        'select pg_try_advisory_xact_lock(hashtext(?)) as free',
        [lock],
      );
      if (!locked[0]?.free) return 0;
      const { rows } = await trx.raw<{ rows: { pruned: number }[] }>(statement, { historyDays, batch: BATCH });
      return rows[0]?.pruned ?? 0;
    });
    pruned += batch;
    if (batch < BATCH) return pruned;
  }
}

/**
 * Deletes the changes feed's tombstones older than `historyDays` and raises the users' change
 * horizons (change_horizons): a token behind one answers 410. A periodic job: the runner of named
 * jobs calls it with CHANGES_HISTORY_DAYS.
 */
export function pruneChangeHistory(db: Knex, historyDays: number): Promise<number> {
  return pruneInBatches(
    db,
    'prune_change_history',
    `with doomed as (
       select user_id, seq from change_tombstones
        where deleted_at < now() - make_interval(days => cast(:historyDays as integer))
        order by deleted_at
        limit :batch
     ), gone as (
       delete from change_tombstones tombstone using doomed
        where tombstone.user_id = doomed.user_id and tombstone.seq = doomed.seq
       returning tombstone.user_id, tombstone.seq
     ), raised as (
       -- Runs whether or not it is read, as every data-modifying part of a statement does.
       insert into change_horizons as kept (user_id, horizon)
       select user_id, max(seq) from gone group by user_id
       on conflict (user_id) do update set horizon = greatest(kept.horizon, excluded.horizon)
     )
     select count(*)::integer as pruned from gone`,
    historyDays,
  );
}

/**
 * Deletes the events (the outbox the live stream and the webhooks read) older than `historyDays`
 * and raises the users' event horizons (event_horizons): a stream resuming behind one starts with
 * a reset.
 */
export function pruneEvents(db: Knex, historyDays: number): Promise<number> {
  return pruneInBatches(
    db,
    'prune_events',
    `with doomed as (
       select user_id, seq from events
        where created_at < now() - make_interval(days => cast(:historyDays as integer))
        order by created_at
        limit :batch
     ), gone as (
       delete from events event using doomed
        where event.user_id = doomed.user_id and event.seq = doomed.seq
       returning event.user_id, event.seq
     ), raised as (
       insert into event_horizons as kept (user_id, horizon)
       select user_id, max(seq) from gone group by user_id
       on conflict (user_id) do update set horizon = greatest(kept.horizon, excluded.horizon)
     )
     select count(*)::integer as pruned from gone`,
    historyDays,
  );
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
