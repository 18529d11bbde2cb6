import type { Logger } from 'pino';

/** Background work a server does on its own, now and then (the trash's purge...). */
export interface PeriodicJob {
  /** Names the job in the log. */
  readonly name: string;
  /** One pass; `signal` is aborted when the runner stops, for a long pass to stop between steps. */
  readonly run: (signal: AbortSignal, logger: Logger) => Promise<void>;
}

export interface PeriodicSchedule {
  /** Between the end of one pass and the start of the next. */
  readonly intervalMs: number;
  /** Before the first pass, after the start: shortly, but not in the way of starting up. */
  readonly firstDelayMs: number;
}

export interface PeriodicRunner {
  /** No pass starts any more; resolves once the one under way, if any, has ended. */
  stop(): Promise<void>;
}

/**
 * Runs each job once shortly after the start and then every interval, one pass of a job at a time.
 * A failed pass is logged (warn) and the job runs again at its next turn: it never brings the
 * server down. The timers do not keep the process alive.
 */
export function startPeriodicJobs(
  jobs: readonly PeriodicJob[],
  { intervalMs, firstDelayMs }: PeriodicSchedule,
  logger: Logger,
): PeriodicRunner {
  const stopping = new AbortController();
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();

  const schedule = (job: PeriodicJob, delayMs: number): void => {
    if (stopping.signal.aborted) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const pass = job
        .run(stopping.signal, logger)
        .catch((error: unknown) => logger.warn({ err: error, job: job.name }, `periodic job ${job.name} failed`))
        .finally(() => {
          running.delete(pass);
          schedule(job, intervalMs);
        });
      running.add(pass);
    }, delayMs);
    timer.unref();
    timers.add(timer);
  };

  for (const job of jobs) schedule(job, firstDelayMs);
  return {
    async stop() {
      stopping.abort();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(running);
    },
  };
}
