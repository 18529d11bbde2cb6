import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { createApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { createRedisClient, waitUntilReady } from '../../src/http/rate-limit-redis.js';
import { createLogger } from '../../src/logger.js';
import { TEST_SECRET } from './tokens.js';

export interface TestServer {
  readonly baseUrl: string;
  /** Every log line the server wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Overrides of the test trust settings (HS256 with TEST_SECRET, no JWKS, no issuer or audience). */
  readonly auth?: Partial<Config['auth']>;
  /** Overrides of the HTTP settings (defaults: no If-Match required, no CORS origin, no proxy, no metrics token). */
  readonly http?: Partial<Config['http']>;
  /** Overrides of the rate limits (off by default in tests: every test's requests come from one address). */
  readonly rateLimit?: Partial<Config['rateLimit']>;
  /** With `rateLimit.redisUrl`: the prefix of the server's Redis keys, so that tests never see each other's counters. */
  readonly redisKeyPrefix?: string;
  /** Where the reference page is read from (default: the one `make docs` builds). */
  readonly docsPagePath?: string;
}

/** The app over `db`, listening on a free loopback port. */
export async function startTestServer(
  db: Knex,
  { auth = {}, http = {}, rateLimit = {}, redisKeyPrefix, docsPagePath }: TestServerOptions = {},
): Promise<TestServer> {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger(
    { logLevel: 'info', logFormat: 'json' },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const config = {
    env: 'test' as const,
    auth: {
      secret: TEST_SECRET,
      jwksUrl: undefined,
      jwksCacheSeconds: 600,
      jwksCooldownSeconds: 30,
      jwksTimeoutMs: 2000,
      issuer: undefined,
      audience: undefined,
      clockSkewSeconds: 0,
      ...auth,
    },
    http: { requireIfMatch: false, corsOrigins: [], trustProxy: false, metricsToken: undefined, requestTimeoutMs: 30_000, ...http },
    rateLimit: { windowSeconds: 60, perAddress: 0, perUser: 0, redisUrl: undefined, ...rateLimit },
  };
  const redis = config.rateLimit.redisUrl ? createRedisClient(config.rateLimit.redisUrl, logger, redisKeyPrefix) : undefined;
  if (redis) await waitUntilReady(redis, 2_000);
  const server: Server = createServer(createApp({ config, db, logger, redis, docsPagePath }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    logs,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }).finally(() => redis?.disconnect()),
  };
}
