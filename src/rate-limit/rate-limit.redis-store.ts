import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisStore, type RedisReply } from 'rate-limit-redis';

/** The longest a counter update may take: far above a healthy Redis's answer, far below a request's patience. */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnection attempts back off up to this, and never stop: Redis coming back restores the limits. */
const RECONNECT_MAX_DELAY_MS = 2_000;

/** Keys of this service in a Redis that may be shared; tests pass one of their own. */
export const DEFAULT_KEY_PREFIX = 'todo-api:';

/**
 * A Redis client for the rate-limit counters, tuned so that Redis trouble never holds a request:
 * while disconnected a command fails at once (no offline queue), and a command on a connection
 * that stalled fails after COMMAND_TIMEOUT_MS. Connection changes are logged once each way, not
 * once per failed attempt.
 */
export function createRedisClient(url: string, logger: Logger, keyPrefix = DEFAULT_KEY_PREFIX): Redis {
  const client = new Redis(url, {
    keyPrefix,
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 200, RECONNECT_MAX_DELAY_MS),
  });
  let available: boolean | undefined;
  client.on('ready', () => {
    if (available !== true) logger.info({ component: 'redis' }, 'Redis connected: rate limits are counted there');
    available = true;
  });
  client.on('error', (error: Error) => {
    if (available !== false)
      logger.warn(
        { component: 'redis', err: error },
        'Redis unavailable: requests are not rate limited until it is back',
      );
    available = false;
  });
  return client;
}

/** Resolves once the client is connected, or after `timeoutMs` whatever the state: starting without Redis is allowed. */
export async function waitUntilReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    client.once('ready', done);
    function done() {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    }
  });
}

/** Redis could not count a hit; the limiters let the request through (see src/http/rate-limits.ts). */
export class RateLimitStoreUnavailable extends Error {
  override name = 'RateLimitStoreUnavailable';
}

/**
 * rate-limit-redis's store, made to recover from an outage. That store loads its Lua scripts
 * once, when the limiter is created, and keeps the promise: if Redis was down then (or restarted
 * and lost its script cache while the reload failed), every later hit fails on that same
 * rejected promise, for as long as the process lives. Here, after any failure the scripts are
 * loaded again before the next hit.
 */
export class RedisRateLimitStore implements Store {
  readonly localKeys = false;
  private readonly store: RedisStore;
  private options: Options | undefined;
  /** Loading the scripts; undefined while they must be (re)loaded before the next hit. */
  private scripts: Promise<void> | undefined;

  constructor(
    client: Redis,
    /** Keeps the keys of each limiter apart (`rate-limit:address:`, `rate-limit:user:`). */
    readonly prefix: string,
  ) {
    this.store = new RedisStore({
      prefix,
      sendCommand: (command: string, ...args: string[]) => client.call(command, ...args) as Promise<RedisReply>,
    });
  }

  init(options: Options): void {
    this.options = options;
    this.scripts = this.store.init(options);
    // A failure here is seen (and retried) by the first hit; the client logs the outage itself.
    this.scripts.catch(() => undefined);
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    try {
      await (this.scripts ??= this.store.init(this.options!));
      return await this.store.increment(key);
    } catch (error) {
      this.scripts = undefined;
      throw new RateLimitStoreUnavailable('Redis did not count the request', { cause: error });
    }
  }

  async decrement(key: string): Promise<void> {
    await this.store.decrement(key);
  }

  async resetKey(key: string): Promise<void> {
    await this.store.resetKey(key);
  }
}
