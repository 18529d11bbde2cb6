import type { Knex } from 'knex';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { changeHistoryPruneJob } from './changes/history-prune.js';
import { createEventSignal, type EventSignal } from './events/event-signal.js';
import { postgresTransport } from './events/signal-postgres.js';
import { redisTransport } from './events/signal-redis.js';
import type { BackgroundJob } from './jobs/background-job.js';
import { startJobEngine, type JobEngine } from './jobs/job-engine.js';
import { reminderFiringJob } from './reminders/reminder-firing.js';
import { trashPurgeJob } from './trash/trash-purge.js';

// The composition root of the background work, shared by the API process (src/server.ts) and the
// worker process (src/worker.ts): which jobs there are, and how processes tell each other of new events.

export interface BackgroundDependencies {
  readonly config: Pick<Config, 'history' | 'background'>;
  readonly db: Knex;
  readonly kind: 'postgres' | 'pglite';
  readonly logger: Logger;
  readonly signal: EventSignal;
  /** Tests drive time with pg-boss's TestClock. */
  readonly clock?: Parameters<typeof startJobEngine>[0]['clock'];
}

/** Every job the engine runs. */
export function backgroundJobs({ config, db, logger, signal, clock }: BackgroundDependencies): BackgroundJob[] {
  return [
    trashPurgeJob(db, config.history.trashRetentionDays, logger),
    changeHistoryPruneJob(db, config.history.changesHistoryDays, logger),
    reminderFiringJob({
      db,
      logger,
      announce: (userId) => signal.announce(userId),
      clock: clock ?? { now: Date.now },
      pollMs: config.background.remindersPollMs,
    }),
  ];
}

/** The engine with every job; this process runs them unless RUN_JOBS=false. */
export function startBackground(dependencies: BackgroundDependencies): Promise<JobEngine> {
  const { config, db, kind, logger, clock } = dependencies;
  return startJobEngine({
    db,
    kind,
    logger,
    jobs: backgroundJobs(dependencies),
    runJobs: config.background.runJobs,
    ...(clock ? { clock } : {}),
  });
}

/**
 * How this process hears of other processes' events: Redis pub/sub with REDIS_URL, PostgreSQL's
 * LISTEN/NOTIFY otherwise; the embedded database has one process, which needs neither.
 */
export function eventSignalFor(
  config: Pick<Config, 'background'>,
  db: Knex,
  kind: 'postgres' | 'pglite',
  redis: Redis | undefined,
  logger: Logger,
): EventSignal {
  if (redis) return createEventSignal(redisTransport(redis, 'todo-events'), logger);
  if (kind === 'postgres' && config.background.listenUrl)
    return createEventSignal(postgresTransport(db, config.background.listenUrl, logger), logger);
  return createEventSignal(undefined, logger);
}
