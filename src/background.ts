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
import { webhookDeliveryJob, type AttemptTiming } from './webhooks/delivery-job.js';
import { deliveryRelay, deliveryRelayJob } from './webhooks/delivery-relay.js';
import { systemResolve, type Resolve } from './webhooks/public-address.js';
import { createWebhookSender } from './webhooks/webhook-sender.js';

// The composition root of the background work, shared by the API process (src/server.ts) and the
// worker process (src/worker.ts): which jobs there are, and how processes tell each other of new events.

export interface BackgroundDependencies {
  readonly config: Pick<Config, 'history' | 'background' | 'webhooks'>;
  readonly db: Knex;
  readonly kind: 'postgres' | 'pglite';
  readonly logger: Logger;
  readonly signal: EventSignal;
  /** Tests drive time with pg-boss's TestClock. */
  readonly clock?: Parameters<typeof startJobEngine>[0]['clock'];
  /** How webhook hosts are resolved: the system's resolver; tests give names addresses of their own. */
  readonly resolve?: Resolve;
}

/** How the webhook attempts' jobs are timed: the attempt's bound and the engine's heartbeat. */
function attemptTiming(config: BackgroundDependencies['config']): AttemptTiming {
  return { timeoutMs: config.webhooks.timeoutMs, heartbeatSeconds: config.background.heartbeatSeconds };
}

/** Every job the engine runs. */
export function backgroundJobs({
  config,
  db,
  logger,
  signal,
  clock,
  resolve = systemResolve,
}: BackgroundDependencies): BackgroundJob[] {
  const send = createWebhookSender({ ...config.webhooks, resolve });
  const timing = attemptTiming(config);
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
    webhookDeliveryJob({ db, config: config.webhooks, timing, logger, signal, send }),
    deliveryRelayJob(db, timing),
  ];
}

/**
 * The engine with every job; this process runs them unless RUN_JOBS=false. Whether or not it runs
 * them, it sends the jobs of the webhook deliveries its own writes made, once they committed.
 */
export async function startBackground(dependencies: BackgroundDependencies): Promise<JobEngine> {
  const { config, db, kind, logger, signal, clock } = dependencies;
  const engine = await startJobEngine({
    db,
    kind,
    logger,
    jobs: backgroundJobs(dependencies),
    runJobs: config.background.runJobs,
    superviseSeconds: config.background.superviseSeconds,
    ...(clock ? { clock } : {}),
  });
  const relay = deliveryRelay(db, engine, attemptTiming(config), logger);
  // The process that committed a write sends its deliveries' jobs: the others need not look too.
  const unsubscribe = signal.subscribeOwn((userId) => relay.wake(userId));
  return {
    ...engine,
    async stop() {
      unsubscribe();
      await relay.stop();
      await engine.stop();
    },
  };
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
