import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { BackgroundJob } from '../jobs/background-job.js';

/**
 * Deletes for good, across users, the tasks that have been in the trash longer than
 * `retentionDays` (days of 24 hours, as `purge_at` counts them), `batch` at a time so that no
 * statement holds many rows; rows another transaction holds (being restored) are skipped, left
 * for the next run. Stops between batches once `signal` is aborted. Returns how many it deleted.
 */
export async function purgeExpiredTrash(
  db: Knex,
  retentionDays: number,
  batch = 500,
  signal?: AbortSignal,
): Promise<number> {
  let purged = 0;
  for (;;) {
    // Raw for its rowCount, which both drivers report (a query builder's delete count is pg's only).
    const { rowCount: deleted } = await db.raw<{ rowCount: number }>(
      `delete from tasks where id in (
         select id from tasks where deleted_at < now() - make_interval(hours => 24 * ?::integer)
          limit ?::integer for update skip locked)`,
      [retentionDays, batch],
    );
    purged += deleted;
    if (deleted < batch || signal?.aborted) return purged;
  }
}

/** The automatic purge: hourly, as a job of the engine (one process at a time runs it). */
export function trashPurgeJob(db: Knex, retentionDays: number, logger: Logger): BackgroundJob {
  return {
    name: 'trash-purge',
    schedule: '7 * * * *',
    queue: { retryLimit: 0, expireInSeconds: 30 * 60 },
    run: async () => {
      const purged = await purgeExpiredTrash(db, retentionDays);
      if (purged > 0) logger.info({ purged }, `purged ${purged} tasks from the trash after ${retentionDays} days`);
    },
  };
}
