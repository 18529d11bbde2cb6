import type { Knex } from 'knex';
import type { Job, JobInsert, Queue, SendOptions, WorkOptions } from 'pg-boss';

/**
 * Work done in the background, on the job engine (pg-boss): in the API processes by default, or in
 * `make worker` processes. Each job runs in one process at a time (pg-boss claims it with SKIP
 * LOCKED); one that throws, or whose process dies, runs again as its queue's retry policy says.
 */
export interface BackgroundJob<Data extends object = object> {
  /** The queue's name. */
  readonly name: string;
  /** The queue's policy, and the retries, backoff, expiry of its jobs. */
  readonly queue?: Omit<Queue, 'name'>;
  /** How the workers fetch (batch size, polling interval). */
  readonly work?: WorkOptions;
  /** A cron expression: the engine sends the job itself on this schedule (once across all processes). */
  readonly schedule?: string;
  /** Whether each process that runs the jobs sends one when it starts (to catch up on what came due while none ran). */
  readonly startUp?: boolean;
  /** Runs a batch of the queue's jobs (and may send more to `queue`); a throw fails (and retries) them all. */
  readonly run: (jobs: Job<Data>[], queue: JobQueue) => Promise<void>;
}

/**
 * What the rest of the server asks of the engine: to run a job soon (or later). Sent inside a
 * request's transaction, a job joins it: it exists if and only if the request commits.
 */
export interface JobQueue {
  send(name: string, data: object, options?: SendOptions): Promise<string | null>;
  /** Inserts jobs as part of the caller's transaction: they exist if and only if it commits. */
  insert(name: string, jobs: JobInsert[], trx: Knex.Transaction): Promise<void>;
  /** Tells this process's workers of the queue, if it runs them, that jobs are ready: they fetch now, not at their next poll. */
  wake(name: string): void;
}
