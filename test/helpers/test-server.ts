import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { createApp } from '../../src/app.js';
import { startBackground } from '../../src/background.js';
import { createEventSignal, type EventSignal } from '../../src/events/event-signal.js';
import type { JobEngine } from '../../src/jobs/job-engine.js';
import type { Clock } from 'pg-boss';
import type { Resolve } from '../../src/webhooks/public-address.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { createRedisClient, waitUntilReady } from '../../src/rate-limit/rate-limit.redis-store.js';
import { createLogger } from '../../src/logger.js';
import { TEST_SECRET } from './tokens.js';
import { IN_TEST_BOUND_MS, within } from './wait.js';

export interface TestServer {
  readonly baseUrl: string;
  /** Tells the server's streams of new events (this process's own signal unless one was given). */
  readonly signal: EventSignal;
  /** With `background`: the job engine the server sends to (and, unless told otherwise, runs the jobs of). */
  readonly jobs?: JobEngine;
  /** Every log line the server wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Overrides of the test trust settings (HS256 with TEST_SECRET, no JWKS, no issuer or audience). */
  readonly auth?: Partial<Config['auth']>;
  /** Overrides of the HTTP settings (defaults: no If-Match required, no CORS origin, no proxy, no metrics token, no load shedding). */
  readonly http?: Partial<Config['http']>;
  /** Overrides of the rate limits (off by default in tests: every test's requests come from one address). */
  readonly rateLimit?: Partial<Config['rateLimit']>;
  /** Overrides of the quotas (the service's defaults otherwise). */
  readonly quotas?: Partial<Config['quotas']>;
  /** With `rateLimit.redisUrl`: the prefix of the server's Redis keys, so that tests never see each other's counters. */
  readonly redisKeyPrefix?: string;
  /** Where the reference page is read from (default: the one `make docs` builds). */
  readonly docsPagePath?: string;
  /**
   * With `rateLimit.redisUrl`: listen only once Redis is connected (bounded, failing), for tests
   * that count on it from their first request. Otherwise the server's own start-up wait, which
   * gives up after 2 s and serves without counting meanwhile (as with Redis down).
   */
  readonly waitForRedis?: boolean;
  /** The log's level (default `info`); at `debug` every request's headers are logged too. */
  readonly logLevel?: Config['logLevel'];
  /** Overrides of the history settings (trash retention, changes history). */
  readonly history?: Partial<Config['history']>;
  /** Overrides of the event stream's settings (streams per user, the heartbeat). */
  readonly events?: Partial<Config['events']>;
  /** Overrides of the webhook settings (https and public addresses only, the service's retries by default). */
  readonly webhooks?: Partial<Config['webhooks']>;
  /** The signal of new events between processes (default: this server's own, local). */
  readonly signal?: EventSignal;
  /** The loopback port to listen on (default: a free one): a server started again where its clients know it. */
  readonly port?: number;
  /**
   * Starts the job engine (pg-boss) over the database as the server process does, on `kind`
   * (a pooled PostgreSQL is `postgres`), optionally on pg-boss's TestClock, which sets the time of
   * the database's whole pg-boss schema: give such a server a database of its own
   * (createTestDatabase), started at a time later than any other clock's on it. `runJobs: false`
   * only sends jobs (as an API process beside `make worker`); `superviseSeconds` and
   * `heartbeatSeconds` how soon jobs of a dead process run again; `resolve` how webhook hosts resolve.
   */
  readonly background?: {
    readonly kind: 'postgres' | 'pglite';
    readonly clock?: Clock;
    readonly runJobs?: boolean;
    readonly superviseSeconds?: number;
    readonly heartbeatSeconds?: number;
    readonly resolve?: Resolve;
  };
}

/** The app over `db`, listening on a free loopback port. */
export async function startTestServer(
  db: Knex,
  {
    auth = {},
    http = {},
    rateLimit = {},
    quotas = {},
    redisKeyPrefix,
    docsPagePath,
    waitForRedis = false,
    logLevel = 'info',
    history = {},
    events = {},
    webhooks = {},
    signal: givenSignal,
    background,
    port: wantedPort = 0,
  }: TestServerOptions = {},
): Promise<TestServer> {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger(
    { logLevel, logFormat: 'json' },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  // The service's own defaults, read by its own parser, with what tests need instead: the test
  // secret, no clock skew, no rate limits (every test's requests come from one address), and no
  // load shedding (tests hold the database's connections on purpose, the embedded one has only one).
  const defaults = loadConfig({
    NODE_ENV: 'test',
    BETTER_AUTH_SECRET: TEST_SECRET,
    JWT_CLOCK_SKEW_SECONDS: '0',
    RATE_LIMIT_PER_ADDRESS: '0',
    RATE_LIMIT_PER_USER: '0',
    RATE_LIMIT_IN_FLIGHT_PER_USER: '0',
    LOAD_SHED_WAIT_MS: '0',
  });
  const config = {
    env: defaults.env,
    auth: { ...defaults.auth, ...auth },
    http: { ...defaults.http, ...http },
    rateLimit: { ...defaults.rateLimit, ...rateLimit },
    quotas: { ...defaults.quotas, ...quotas },
    history: { ...defaults.history, ...history },
    events: { ...defaults.events, ...events },
    webhooks: { ...defaults.webhooks, ...webhooks },
    background: {
      ...defaults.background,
      runJobs: background?.runJobs ?? true,
      superviseSeconds: background?.superviseSeconds ?? defaults.background.superviseSeconds,
      heartbeatSeconds: background?.heartbeatSeconds ?? defaults.background.heartbeatSeconds,
    },
  };
  const redis = config.rateLimit.redisUrl
    ? createRedisClient(config.rateLimit.redisUrl, logger, redisKeyPrefix)
    : undefined;
  if (redis && waitForRedis && redis.status !== 'ready') {
    // 'ready' only: a failed attempt (an error event) is retried by the client itself.
    const ready = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    await within(ready, IN_TEST_BOUND_MS, `Redis at ${config.rateLimit.redisUrl} to be ready`).catch(
      (error: unknown) => {
        redis.disconnect();
        throw error;
      },
    );
  } else if (redis) await waitUntilReady(redis, 2_000);
  const signal = givenSignal ?? createEventSignal(undefined, logger);
  const jobs = background
    ? await startBackground({
        config,
        db,
        kind: background.kind,
        logger,
        signal,
        clock: background.clock,
        resolve: background.resolve,
      })
    : undefined;
  const app = createApp({ config, db, logger, redis, docsPagePath, signal, jobs });
  const server: Server = createHttpServer(app, {
    requestTimeoutMs: config.http.requestTimeoutMs,
    logger,
  });
  server.listen(wantedPort, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    signal,
    jobs,
    logs,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      })
        .then(app.stop)
        .then(() => jobs?.stop())
        .then(() => (givenSignal ? undefined : signal.close()))
        .finally(() => redis?.disconnect()),
  };
}
