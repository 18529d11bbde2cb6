import { setTimeout as sleep } from 'node:timers/promises';

// Tests wait for the event itself (a log line, a port, an exit, an answer), never for a time that
// usually suffices. Every wait still has a bound, so that one whose event never comes fails with
// what it awaited and what was seen meanwhile instead of hanging. The bounds are generous on
// purpose: they are far above what anything takes on an idle machine (a server starts in about
// 2 s), because under load (other test runs, a busy core) the same start has taken 25 s.

/** A process starting: tsx compiling the sources, the embedded database opening (initdb when new). */
export const START_BOUND_MS = 120_000;
/** A process exiting once asked to: as long as a start, since a stop asked for while starting waits for it. */
export const EXIT_BOUND_MS = 120_000;
/** Anything else a test waits for (a request answered, a log line written, a lock taken). */
export const EVENT_BOUND_MS = 60_000;
/** The same in suites whose mocha timeout is mocha's default (20 s), so that the bound fails first, with its message. */
export const IN_TEST_BOUND_MS = 15_000;
/** Mocha's per-test timeout for suites that start processes: only a backstop above the sum of their own bounded waits, each of which fails sooner with its own message. */
export const PROCESS_TEST_TIMEOUT_MS = 10 * 60_000;

/** `promise`, or a rejection naming `what` (and `context()`, e.g. the output so far) once `ms` have passed; the timer never outlives the race. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  context: () => string = () => '',
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}${context()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * For what sends no event (a row lock taken in another session, a port accepting connections):
 * checks `condition` every `everyMs` until it holds, and fails after `ms` with `what` and `context()`.
 */
export async function pollUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  {
    ms = EVENT_BOUND_MS,
    everyMs = 25,
    context = () => '',
  }: { ms?: number; everyMs?: number; context?: () => string } = {},
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${context()}`);
    await sleep(everyMs);
  }
}
