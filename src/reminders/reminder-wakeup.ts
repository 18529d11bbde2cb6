import type { Logger } from 'pino';
import { afterCommit } from '../db/request-transaction.js';
import type { JobQueue } from '../jobs/background-job.js';
import { earliestPending, type StoredReminder } from './reminder-schedule.js';

// How reminders fire on time without a home-made loop: the firing job (reminder-firing.ts) runs
// on the job engine's queue REMINDERS_QUEUE, and each run is a wake-up job sent to start at the
// next reminder's second (pg-boss `startAfter`), which a worker fetches within its polling
// interval. Who sends them:
// - each run, for the earliest reminder still pending anywhere, once it has fired what was due;
// - a write that arms a reminder due within WAKE_UP_AHEAD_MS, after it commits (a reminder set
//   for a minute from now cannot wait for the next run);
// - the engine's schedule, every minute (a floor: a wake-up lost with a process, a clock jump);
// - each process that runs the jobs, when it starts (what came due while none ran).
// Wake-ups for one second are one job (the queue's `short` policy with the second as singleton
// key), so that no number of writes and runs multiplies them.

/** The queue of the firing job and its wake-ups. */
export const REMINDERS_QUEUE = 'reminders-fire';

/**
 * How far ahead a write asks for a wake-up itself: beyond it, the firing job's next run (at the
 * latest the schedule's, each minute, which pg-boss sends within about half a minute of it) asks
 * for one in time.
 */
export const WAKE_UP_AHEAD_MS = 5 * 60_000;

/** Asks for the reminders due by `at` to be fired then. */
export type WakeUp = (at: Date) => void;

/** Sends the wake-up for `at`: a run of the firing job from the second after it (at once for a past one). */
export async function sendWakeUp(queue: JobQueue, at: Date): Promise<void> {
  const second = Math.ceil(at.getTime() / 1000);
  await queue.send(REMINDERS_QUEUE, {}, { startAfter: new Date(second * 1000), singletonKey: String(second) });
}

/** Wake-ups sent to `queue`; one that fails is logged (the schedule's run catches up within a minute). */
export function reminderWakeUp(queue: JobQueue, logger: Logger): WakeUp {
  return (at) =>
    void sendWakeUp(queue, at).catch((error: unknown) =>
      logger.warn({ err: error }, 'could not ask for a reminder wake-up: the next scheduled run fires it'),
    );
}

/**
 * After a write that left these tasks (null: none) with reminders pending, asks for a wake-up at
 * the earliest when it is near, once the write has committed (at once outside a transaction).
 */
export function wakeUpForWritten(
  wakeUp: WakeUp | undefined,
  rows: readonly ({ readonly reminders: readonly StoredReminder[] } | null)[],
  now = Date.now(),
): void {
  if (wakeUp === undefined) return;
  const earliest = earliestPending(rows.flatMap((row) => row?.reminders ?? []));
  if (earliest === undefined || earliest.getTime() > now + WAKE_UP_AHEAD_MS) return;
  afterCommit(() => wakeUp(earliest));
}
