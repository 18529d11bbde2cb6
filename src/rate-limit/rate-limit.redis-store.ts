import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CounterStore, WindowCount } from './counter-store.js';

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
 * Adds the weight (ARGV[1]) to the key's window, or starts a window of ARGV[2] ms holding it when
 * there is none running; answers the count and the ms left. One script: atomic between processes.
 */
const HIT_SCRIPT = `
local left = redis.call('PTTL', KEYS[1])
if left <= 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return { tonumber(ARGV[1]), tonumber(ARGV[2]) }
end
return { redis.call('INCRBY', KEYS[1], ARGV[1]), left }`;

interface HitCommand {
  rateLimitHit(key: string, weight: number, windowMs: number): Promise<[number, number]>;
}

/**
 * Counters in Redis, shared by every process on it: one round trip per hit, atomic in Redis, so
 * exact across processes (not batched: a round trip to Redis costs no database work). ioredis runs the script by its digest and
 * sends it again whenever Redis answers that it does not know it (a restart, a flushed cache),
 * so a Redis that comes back counts again without anything to reload.
 */
export class RedisRateLimitStore implements CounterStore {
  private readonly client: Redis & HitCommand;

  constructor(
    client: Redis,
    private readonly windowSeconds: number,
    /** Keeps the keys of each limiter apart (`rate-limit:address:`, `rate-limit:user:`). */
    readonly prefix: string,
  ) {
    if (!('rateLimitHit' in client)) client.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.client = client as Redis & HitCommand;
  }

  async hit(key: string, weight: number): Promise<WindowCount> {
    try {
      const [hits, leftMs] = await this.client.rateLimitHit(this.prefix + key, weight, this.windowSeconds * 1000);
      return { hits, resetAt: new Date(Date.now() + leftMs) };
    } catch (error) {
      throw new RateLimitStoreUnavailable('Redis did not count the request', { cause: error });
    }
  }
}
