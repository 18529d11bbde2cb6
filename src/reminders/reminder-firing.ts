import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { DEFAULT_TRANSACTION_RETRIES, retryingConflicts } from '../db/transaction-retry.js';
import { recordEvents } from '../events/events.store.js';
import type { BackgroundJob } from '../jobs/background-job.js';
import { toTask } from '../tasks/task-representation.js';
import type { TaskRow } from '../tasks/tasks.store.js';
import { toReminder } from './reminder-representation.js';
import type { StoredReminder } from './reminder-schedule.js';
import { REMINDERS_QUEUE, sendWakeUp } from './reminder-wakeup.js';
import { claimDueTasks, nextReminderAt, writeFiredReminders } from './reminders.store.js';

/** Tasks claimed and fired per transaction: short enough to hold their rows briefly, long enough to keep up. */
const BATCH = 50;

/** The time the firing code reads: pg-boss's Clock (a TestClock in tests). */
export interface FiringClock {
  now(): number;
}

/**
 * Fires every reminder due by `now`, once: a batch of tasks per transaction, each claimed with
 * FOR UPDATE SKIP LOCKED (so that several workers share the work and never fire one reminder
 * twice), whose reminders due are marked fired and recorded as `reminder.fired` events in that
 * same transaction (a worker killed in the middle leaves its batch as it was, to be fired by the
 * next run). Each user with a fired reminder is announced once the batch has committed. Stops
 * between batches once `stop` is aborted (the process is stopping). Returns how many fired.
 */
export async function fireDueReminders(
  db: Knex,
  now: Date,
  announce: (userId: string) => void,
  stop?: AbortSignal,
): Promise<number> {
  let fired = 0;
  for (;;) {
    const batch = await retryingConflicts(DEFAULT_TRANSACTION_RETRIES, () =>
      db.transaction(async (trx) => {
        const tasks = await claimDueTasks(trx, now, BATCH);
        return {
          claimed: tasks.length,
          users: new Set(tasks.map((task) => task.user_id)),
          count: await fire(trx, tasks, now),
        };
      }),
    );
    for (const user of batch.users) announce(user);
    fired += batch.count;
    if (batch.claimed < BATCH || stop?.aborted) return fired;
  }
}

/**
 * Marks the tasks' reminders due by `now` fired (one statement), then records an event for each,
 * with its task as it now is (one statement); returns how many fired.
 */
async function fire(trx: Knex.Transaction, tasks: readonly TaskRow[], now: Date): Promise<number> {
  const isDue = ({ fires_at }: StoredReminder) => fires_at !== null && Date.parse(fires_at) <= now.getTime();
  const written = new Map(
    (
      await writeFiredReminders(
        trx,
        tasks.map((task) => ({
          task,
          reminders: task.reminders.map((reminder) => (isDue(reminder) ? { ...reminder, fires_at: null } : reminder)),
        })),
      )
    ).map((row) => [row.id, toTask(row)]),
  );
  const events = tasks.flatMap((task) =>
    task.reminders.filter(isDue).map((reminder) => ({
      userId: task.user_id,
      type: 'reminder.fired',
      data: { task: written.get(task.id)!, reminder: toReminder({ ...reminder, fires_at: null }) },
    })),
  );
  await recordEvents(trx, events);
  return events.length;
}

/** How soon a run that left reminders due (held by another transaction) runs again. */
const RETRY_HELD_MS = 1000;

export interface ReminderJobOptions {
  readonly db: Knex;
  readonly logger: Logger;
  /** Told of each user with a fired reminder, after the commit (the live streams and webhooks wake up). */
  readonly announce: (userId: string) => void;
  readonly clock: FiringClock;
  /** REMINDERS_POLL_MS: how often a worker looks for a wake-up that has come due (the latency of a reminder). */
  readonly pollMs: number;
}

/**
 * The firing job (see reminder-wakeup.ts for who sends its runs): fires what is due, then asks
 * for a run at the next reminder pending (in a second when some due ones were held elsewhere).
 * Several wake-ups come due together after a pause: one run serves the batch.
 */
export function reminderFiringJob({ db, logger, announce, clock, pollMs }: ReminderJobOptions): BackgroundJob {
  return {
    name: REMINDERS_QUEUE,
    schedule: '* * * * *',
    startUp: true,
    // A run that fails or dies is not retried: the next wake-up (a second, at most a minute away) does its work.
    queue: { policy: 'short', retryLimit: 0, expireInSeconds: 5 * 60, deleteAfterSeconds: 60 * 60 },
    work: { pollingIntervalSeconds: pollMs / 1000, batchSize: 100 },
    run: async (wakeUps, queue) => {
      const now = new Date(clock.now());
      const fired = await fireDueReminders(db, now, announce, AbortSignal.any(wakeUps.map((job) => job.signal)));
      if (fired > 0) logger.info({ fired }, `fired ${fired} reminders`);
      const next = await nextReminderAt(db);
      if (next) await sendWakeUp(queue, next > now ? next : new Date(now.getTime() + RETRY_HELD_MS));
    },
  };
}
