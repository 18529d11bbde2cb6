import { costlySlotsOfPrimary } from './cluster/costly-slots.js';
import { LocalCostlySlots } from './rate-limit/costly-slots.js';
import express, { type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { OperationHandlers } from './contract/operations.js';
import { loadSpec } from './contract/spec-document.js';
import { createDocsHandlers } from './docs/docs.handlers.js';
import { createBearerAuthenticator, identifyCaller } from './http/authentication.js';
import { compressDocuments } from './http/compression.js';
import { corsPolicy } from './http/cors.js';
import { dispatchOperations } from './http/dispatch.js';
import { errorHandler } from './http/error-handler.js';
import { exactPaths } from './http/exact-paths.js';
import { headAsGet } from './http/head-as-get.js';
import { jsonBody } from './http/json-body.js';
import { shedOverload } from './http/load-shedding.js';
import { checkMetricsAccess } from './http/metrics-access.js';
import { assertPublicOperationsMatch, OperationIndex, resolveOperations } from './http/operation-index.js';
import { createRateLimits } from './http/rate-limits.js';
import { recordRequests } from './http/request-metrics.js';
import { requestLog } from './http/request-log.js';
import { noStore, securityHeaders } from './http/security-headers.js';
import { strictUrl } from './http/strict-url.js';
import { PoolWaits } from './db/pool-waits.js';
import { scopedKnex } from './db/request-transaction.js';
import { DEFAULT_TRANSACTION_RETRIES, type TransactionRetries } from './db/transaction-retry.js';
import { patternWords } from './http/validator-issues.js';
import { validatorSpec } from './http/validator-spec.js';
import { createIdempotencyGuard } from './idempotency/idempotency.service.js';
import { shareMetricsWithPrimary } from './metrics/cluster-metrics.js';
import { metricsAccessCheck } from './metrics/metrics-access.js';
import { createMetricsHandlers } from './metrics/metrics.handlers.js';
import { createMetrics } from './metrics/metrics.js';
import { createSystemHandlers } from './system/system.handlers.js';
import { createTagHandlers } from './tags/tags.handlers.js';
import { createListHandlers } from './lists/lists.handlers.js';
import { createListService } from './lists/lists.service.js';
import { createListMoveHandlers } from './lists/list-move.handlers.js';
import { createTaskMoveHandlers } from './tasks/task-move.handlers.js';
import { createTrashHandlers } from './trash/trash.handlers.js';
import { createTrashService } from './trash/trash.service.js';
import { createChangesHandlers } from './changes/changes.handlers.js';
import { createChangesService } from './changes/changes.service.js';
import { createEventSignal, type EventSignal } from './events/event-signal.js';
import { createEventHandlers } from './events/events.handlers.js';
import type { JobQueue } from './jobs/background-job.js';
import { reminderWakeUp } from './reminders/reminder-wakeup.js';
import { createBulkHandlers } from './tasks/bulk.handlers.js';
import { createBulkService } from './tasks/bulk.service.js';
import { bulkStoredForm } from './tasks/bulk.stored-form.js';
import { createTaskHandlers } from './tasks/tasks.handlers.js';
import { createTaskService } from './tasks/tasks.service.js';
import { createUserHandlers } from './users/users.handlers.js';
import { createUserProvisioner } from './users/users.service.js';
import { createDeliveryHandlers } from './webhooks/deliveries.handlers.js';
import { createDeliveryService } from './webhooks/deliveries.service.js';
import { createWebhookHandlers } from './webhooks/webhooks.handlers.js';
import { createWebhookService } from './webhooks/webhooks.service.js';

export interface AppDependencies {
  readonly config: Pick<Config, 'env' | 'auth' | 'http' | 'rateLimit' | 'quotas' | 'history' | 'events' | 'webhooks'>;
  readonly db: Knex;
  readonly logger: Logger;
  /** Where the rate-limit counters are kept when REDIS_URL is set; otherwise in the database. */
  readonly redis?: Redis;
  /** A worker of several (WEB_CONCURRENCY): /metrics then reports every worker's, through the primary. */
  readonly clusterWorker?: boolean;
  /** Tells the live streams (of every process) of each user's new events; this process's alone by default. */
  readonly signal?: EventSignal;
  /** Where work for the background is sent (webhook retries...). */
  readonly jobs?: JobQueue;
  /** The reference page `make docs` builds; tests point it elsewhere. */
  readonly docsPagePath?: string;
}

/** The application, and what it does before the database closes. */
export type App = Express & {
  /** Stops its background work and writes what it holds in memory (rate-limit counts not flushed yet). */
  readonly stop: () => Promise<void>;
};

/** The largest request body accepted. */
const BODY_LIMIT_BYTES = 100 * 1024;

/** Builds the whole HTTP application from its dependencies; no globals, so tests build their own. */
export function createApp({
  config,
  db,
  logger,
  redis,
  clusterWorker = false,
  signal = createEventSignal(undefined, logger),
  jobs,
  docsPagePath,
}: AppDependencies): App {
  const spec = loadSpec();
  assertPublicOperationsMatch(spec);
  const metrics = createMetrics({ db });
  const rateLimits = createRateLimits({
    config: config.rateLimit,
    db,
    redis,
    logger,
    costlySlots: clusterWorker ? costlySlotsOfPrimary() : new LocalCostlySlots(),
    streamsPerUser: config.events.streamsPerUser,
  });
  const authenticate = createBearerAuthenticator(config.auth, logger);
  // A transaction the database rolled back for a deadlock or a serialization failure runs again
  // (request-transaction.ts): counted, and logged, so that contention shows before it costs 503s.
  const retries: TransactionRetries = {
    ...DEFAULT_TRANSACTION_RETRIES,
    onRetry: ({ state, attempt }) => {
      metrics.observeTransactionRetry(state);
      logger.info({ transaction_retry: { state, attempt } }, `transaction rolled back (${state}): running it again`);
    },
  };
  // What handlers run: it joins the request's transaction when the idempotency guard opened one.
  const featureDb = scopedKnex(db, retries);
  // Reminders armed by a write that fire soon get their wake-up job (src/reminders/reminder-wakeup.ts).
  const wakeUp = jobs ? reminderWakeUp(jobs, logger) : undefined;
  const taskPolicy = { requireIfMatch: config.http.requireIfMatch, quotas: config.quotas, wakeUp };

  const handlers: OperationHandlers = {
    ...createSystemHandlers(db),
    ...createMetricsHandlers(metrics.registry, clusterWorker ? shareMetricsWithPrimary(metrics.registry) : undefined),
    ...createUserHandlers(featureDb),
    ...createTaskHandlers(createTaskService(featureDb, taskPolicy)),
    ...createBulkHandlers(createBulkService(featureDb, taskPolicy)),
    ...createTagHandlers(featureDb),
    ...createListHandlers(createListService(featureDb, taskPolicy)),
    ...createListMoveHandlers(featureDb, taskPolicy),
    ...createTaskMoveHandlers(featureDb, taskPolicy),
    ...createTrashHandlers(
      createTrashService(featureDb, {
        quotas: config.quotas,
        retentionDays: config.history.trashRetentionDays,
        wakeUp,
      }),
    ),
    ...createChangesHandlers(createChangesService(featureDb, config.history)),
    ...createEventHandlers(featureDb, signal, config.events),
    ...createWebhookHandlers(
      createWebhookService(featureDb, {
        requireIfMatch: config.http.requireIfMatch,
        quotas: config.quotas,
        urls: config.webhooks,
      }),
    ),
    ...createDeliveryHandlers(createDeliveryService(featureDb)),
    ...createDocsHandlers(spec, docsPagePath),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // conditional requests are the contract's to define, not Express's
  // Paths match the spec exactly: `/API/me` is not `/api/me` (the validator reads this setting).
  app.enable('case sensitive routing');
  // The client address (rate limits, logs) is the one the trusted proxies report (TRUST_PROXY).
  app.set('trust proxy', config.http.trustProxy);

  // Each middleware is a named function: its name is what the router's diagnostics channel reports
  // (bench/layer-worker.ts measures each one's cost per request by it).
  app.use(resolveOperations(new OperationIndex(spec)));
  app.use(recordRequests(metrics));
  app.use(requestLog(logger));
  app.use(securityHeaders());
  app.use(corsPolicy(config.http.corsOrigins));
  app.use(compressDocuments(['getDocs', 'getOpenApiJson', 'getOpenApiYaml']));
  // Every /api answer is uncacheable; an overloaded process refuses /api requests before anything
  // else reads them; and every /api request counts against its address before anything else reads
  // it (body, token): probes, documents and metrics are neither shed nor limited.
  const shedding = shedOverload({
    waitMs: config.http.loadShedWaitMs,
    poolWaits: new PoolWaits(db),
    onShed: () => metrics.observeShed(),
  });
  app.use('/api', noStore(), shedding, rateLimits.byAddress);
  app.use(exactPaths());
  app.use(headAsGet());
  app.use(strictUrl());
  // The per-user limits refuse before the body is read, parsed and validated: a refusal costs little.
  if (rateLimits.limitsUsers) app.use(identifyCaller(authenticate), rateLimits.byUser);
  app.use(jsonBody(BODY_LIMIT_BYTES));
  app.use(
    OpenApiValidator.middleware({
      apiSpec: validatorSpec(spec) as never,
      // Checking the document itself against OpenAPI's schema costs about half a second of every
      // start; `make lint` (Redocly, Spectral) checks it, and the tests (NODE_ENV=test) still do.
      validateApiSpec: config.env === 'test',
      // Every problem, not only the first; a discriminated oneOf judged by the branch its tag names.
      validateRequests: { allErrors: true, discriminator: true },
      // Every response is checked against the contract outside production; a mismatch is a 500.
      validateResponses: config.env !== 'production',
      validateSecurity: false, // Passport authenticates, after validation
      ignoreUndocumented: false,
      // Full format checks: `2026-02-30` is not a date, `24:00` not a time.
      ajvFormats: { mode: 'full' },
    }),
  );
  app.get('/metrics', checkMetricsAccess(metricsAccessCheck(config.http.metricsToken)));
  app.use(
    dispatchOperations({
      handlers,
      authenticate,
      provisionUser: createUserProvisioner(db),
      limitUser: rateLimits.limitUser,
      announce: (userId) => signal.announce(userId),
      idempotency: createIdempotencyGuard(
        db,
        { keysPerUser: config.quotas.idempotencyKeysPerUser, answerBytes: config.quotas.idempotencyAnswerBytes },
        { bulkTasks: bulkStoredForm(featureDb) },
        retries,
      ),
    }),
  );
  app.use(errorHandler(patternWords(spec)));
  const stop = async (): Promise<void> => {
    await rateLimits.close();
  };
  return Object.assign(app, { stop });
}
