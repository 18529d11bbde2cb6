import type { Knex } from 'knex';
import { PgBoss, type Clock } from 'pg-boss';
import type { Logger } from 'pino';
import type { BackgroundJob, JobQueue } from './background-job.js';
import { jobDatabases, jobTransaction } from './job-database.js';

export interface JobEngineOptions {
  readonly db: Knex;
  readonly kind: 'postgres' | 'pglite';
  readonly logger: Logger;
  readonly jobs: readonly BackgroundJob[];
  /** Whether this process runs the jobs (and the schedules and the engine's upkeep), or only sends them. */
  readonly runJobs: boolean;
  /**
   * JOBS_SUPERVISE_SECONDS: how often the upkeep fails the jobs that ran past their expiry (their
   * process died, say), which then run again as their retry policy says.
   */
  readonly superviseSeconds: number;
  /** Tests drive time with pg-boss's TestClock. */
  readonly clock?: Clock;
  /** How long stop() waits for the jobs under way (tests shorten it). */
  readonly stopTimeoutMs?: number;
}

export interface JobEngine extends JobQueue {
  /** Stops fetching, waits (bounded) for the jobs under way, and detaches from the database. */
  stop(): Promise<void>;
}

/** The schema pg-boss keeps its tables in. */
const SCHEMA = 'pgboss';
/** How long stop() waits for the jobs under way before leaving them to be retried elsewhere. */
const STOP_TIMEOUT_MS = 10_000;

/** Starts pg-boss over the server's database: creates (or migrates) its schema, its queues and schedules, and the workers. */
export async function startJobEngine({
  db,
  kind,
  logger,
  jobs,
  runJobs,
  superviseSeconds,
  clock,
  stopTimeoutMs = STOP_TIMEOUT_MS,
}: JobEngineOptions): Promise<JobEngine> {
  const databases = jobDatabases(db, kind);
  const boss = new PgBoss({
    db: databases.engine,
    backend: kind,
    schema: SCHEMA,
    supervise: runJobs,
    schedule: runJobs,
    // Expiry is checked by the monitor pass, which runs at the longer of the two intervals.
    superviseIntervalSeconds: superviseSeconds,
    monitorIntervalSeconds: superviseSeconds,
    ...(clock ? { clock } : {}),
  });
  boss.on('error', (error) => logger.warn({ err: error }, 'job engine error'));
  await boss.start();
  /** This process's workers, by queue, to wake when jobs are ready. */
  const workers = new Map<string, string>();
  const queue: JobQueue = {
    // Inside a request's transaction the job is sent in it (job-database.ts).
    send: (name, data, options) => boss.send(name, data, { ...options, db: databases.sends }),
    insert: async (name, batch, trx) => {
      await boss.insert(name, batch, { db: jobTransaction(trx) });
    },
    wake: (name) => {
      const worker = workers.get(name);
      if (worker !== undefined) boss.notifyWorker(worker);
    },
  };
  try {
    for (const job of jobs) await boss.createQueue(job.name, job.queue);
    if (runJobs) {
      for (const job of jobs) {
        if (job.schedule) await boss.schedule(job.name, job.schedule);
        const worker = await boss.work<object>(job.name, job.work ?? {}, async (batch) => {
          try {
            await job.run(batch, queue);
          } catch (error) {
            logger.warn({ err: error, job: job.name }, `job ${job.name} failed: it runs again as its queue says`);
            throw error;
          }
        });
        workers.set(job.name, worker);
        if (job.startUp) await queue.send(job.name, {});
      }
    }
  } catch (error) {
    await boss.stop({ graceful: false });
    throw error;
  }
  return {
    ...queue,
    stop: () => boss.stop({ graceful: true, timeout: stopTimeoutMs }),
  };
}
