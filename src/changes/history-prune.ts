import type { Knex } from 'knex';

/** Tombstones deleted per transaction: each batch holds the clocks of its users only briefly. */
const BATCH = 1000;

/**
 * Deletes the tombstones older than `historyDays`, a batch per transaction, and in the same
 * statement raises each affected user's horizon (user_clocks.horizon) to the greatest number
 * pruned: a token behind it may have missed one of those deletions, and answers 410. Returns how
 * many were pruned. A periodic job: the runner of named jobs calls it with CHANGES_HISTORY_DAYS.
 *
 * One pruner at a time (a transaction-scoped advisory lock; another process finding it taken
 * leaves the work to the holder): two pruners raising the clocks of the same users in different
 * orders could deadlock. A writer never waits for a pruner holding something it holds: a writer
 * takes its clock first and only inserts tombstones, a pruner deletes old ones and then takes clocks.
 */
export async function pruneChangeHistory(db: Knex, historyDays: number): Promise<number> {
  let pruned = 0;
  for (;;) {
    const batch = await db.transaction(async (trx) => {
      const { rows: locked } = await trx.raw<{ rows: { free: boolean }[] }>(
        `select pg_try_advisory_xact_lock(hashtext('prune_change_history')) as free`,
      );
      if (!locked[0]?.free) return 0;
      const { rows } = await trx.raw<{ rows: { pruned: number }[] }>(
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
           update user_clocks clock set horizon = greatest(clock.horizon, top.seq)
             from (select user_id, max(seq) as seq from gone group by user_id) top
            where clock.user_id = top.user_id
         )
         select count(*)::integer as pruned from gone`,
        { historyDays, batch: BATCH },
      );
      return rows[0]?.pruned ?? 0;
    });
    pruned += batch;
    if (batch < BATCH) return pruned;
  }
}
