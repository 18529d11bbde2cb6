import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../config.js';
import { DomainError } from '../contract/domain-error.js';
import { BatchedCounterStore } from '../rate-limit/batched-counter-store.js';
import type { CostlySlots } from '../rate-limit/costly-slots.js';
import type { CounterStore } from '../rate-limit/counter-store.js';
import { FixedWindowLimiter, type Verdict } from '../rate-limit/fixed-window.js';
import { InFlightLimit, type Slot } from '../rate-limit/in-flight.js';
import { MemoryCounterStore } from '../rate-limit/rate-limit.memory-store.js';
import { PostgresRateLimitStore } from '../rate-limit/rate-limit.postgres-store.js';
import { RateLimitStoreUnavailable, RedisRateLimitStore } from '../rate-limit/rate-limit.redis-store.js';
import { LocalStreamSlots, RedisStreamSlots, type StreamSlots } from '../rate-limit/stream-slots.js';
import { isCostly } from '../rate-limit/weights.js';
import { whenWorkIsOver } from '../lifecycle/long-lived.js';
import { addressKey } from './address-key.js';
import { resolvedOperation } from './operation-index.js';

export interface RateLimits {
  /** App-level middleware for /api: counts every request by client address, before anything reads it. */
  readonly byAddress: RequestHandler;
  /** Whether any per-user limit is on (the rate or the in-flight one): else `byUser` has nothing to do. */
  readonly limitsUsers: boolean;
  /**
   * Middleware before the body is read: once the caller is known (`req.user`), takes one of its
   * in-flight slots and counts the request by user; refuses with the 429.
   */
  readonly byUser: RequestHandler;
  /**
   * A dispatch step once the request is validated: counts what it weighs beyond what `byUser`
   * counted (or all of it, when `byUser` did not know the caller), throws the 429; returns the
   * function that lets go of the in-flight slot, which the handler holds while it runs.
   */
  readonly limitUser: (req: Request, res: Response, weight: number) => Promise<() => void>;
  /** Writes the counts still held in memory (batched PostgreSQL counters); before the database closes. */
  readonly close: () => Promise<void>;
}

interface RateLimitDependencies {
  readonly config: RateLimitConfig;
  readonly db: Knex;
  /** When given, the counters live in Redis; otherwise in PostgreSQL, or in memory on the embedded database. */
  readonly redis: Redis | undefined;
  readonly logger: Logger;
  /** Each user's one costly request at a time: this process's own, or a cluster primary's for every worker. */
  readonly costlySlots: CostlySlots;
  /** EVENT_STREAMS_PER_USER: the user's streams open at once (0: no bound), counted in Redis when given. */
  readonly streamsPerUser: number;
}

/** A refused in-flight request may retry this soon: a slot frees as soon as one of its requests ends. */
const IN_FLIGHT_RETRY_SECONDS = 1;
/** A refused stream may retry this soon: a stream's slot frees when it closes, which its client decides. */
const STREAMS_RETRY_SECONDS = 5;

/**
 * The limits: per client address and per user, each a fixed window of RATE_LIMIT_WINDOW_SECONDS
 * with counters shared by every process, and per user the requests in flight in this process.
 * Each sends the IETF draft-8 headers under its own policy name (`"address"`, `"user"`,
 * `"in-flight"` when it refuses), so a request counted by both windows carries both policies in
 * `RateLimit-Policy` and what is left of each in `RateLimit`. `Retry-After` is that of the limit
 * that refused the request.
 */
export function createRateLimits({
  config,
  db,
  redis,
  logger,
  costlySlots,
  streamsPerUser,
}: RateLimitDependencies): RateLimits {
  const stores: CounterStore[] = [];
  const limiter = (name: string, limit: number) => {
    if (limit === 0) return undefined;
    const store = storeFor(name, config.windowSeconds, { db, redis, logger });
    stores.push(store);
    return new FixedWindowLimiter(limit, config.windowSeconds, store);
  };
  const address = limiter('address', config.perAddress);
  const user = limiter('user', config.perUser);
  const inFlight = config.inFlightPerUser === 0 ? undefined : new InFlightLimit(config.inFlightPerUser);
  const streams = streamSlots(streamsPerUser, redis, logger);
  /** What `byUser` did for a request: the weight it counted, and the slot it took. */
  const admitted = new WeakMap<Request, { counted: number; slot: Slot | undefined }>();

  const count = async (name: string, windowLimit: FixedWindowLimiter, key: string, weight: number, req: Request) => {
    let verdict: Verdict;
    try {
      verdict = await windowLimit.hit(key, weight);
    } catch (error) {
      // Redis trouble lets requests through unlimited (see failing open in the README).
      if (!(error instanceof RateLimitStoreUnavailable)) throw error;
      if (redis?.status === 'ready') req.log.warn({ err: error }, 'request not rate limited: Redis did not answer');
      return 0;
    }
    announce(req.res!, name, `q=${verdict.limit}; w=${windowLimit.windowSeconds}; pk=:${partitionKey(key)}:`, {
      remaining: verdict.remaining,
      resetSeconds: secondsUntil(verdict.resetAt),
    });
    if (!verdict.allowed)
      throw new DomainError(
        'rate_limited',
        `Too many requests from this ${name}; try again after Retry-After seconds.`,
        {
          retryAfterSeconds: secondsUntil(verdict.resetAt),
        },
      );
    return weight;
  };

  const admit = async (req: Request, res: Response, caller: Express.User) => {
    let slot: Slot | undefined;
    if (inFlight) {
      slot = inFlight.tryAcquire(caller.id);
      if (!slot) throw refuseInFlight(res, 'in-flight', inFlight.max);
      // Held until the response has closed (sent, failed, aborted by the client or timed out), or
      // went on as a stream: an open stream is bounded by EVENT_STREAMS_PER_USER, not by this.
      whenWorkIsOver(res, slot.hold());
      if (isCostly(resolvedOperation(req)?.entry.operationId, req.query)) {
        const release = await costlySlots.take(caller.id);
        if (!release) throw refuseInFlight(res, 'in-flight-costly', 1);
        slot.also(release);
      }
    }
    if (streams && resolvedOperation(req)?.entry.streams) await takeStreamSlot(streams, res, caller.id);
    const record = { counted: 0, slot };
    admitted.set(req, record);
    if (user) record.counted = await count('user', user, caller.id, 1, req);
    return record;
  };

  return {
    byAddress: (req, _res, next) => {
      if (!address) return next();
      count('address', address, addressKey(req.ip), 1, req).then(() => next(), next);
    },
    limitsUsers: user !== undefined || inFlight !== undefined,
    byUser: (req, res, next) => {
      if (!req.user) return next();
      admit(req, res, req.user).then(() => next(), next);
    },
    limitUser: async (req, res, weight) => {
      const record = admitted.get(req) ?? (await admit(req, res, req.user!));
      // At most the whole limit, so that any request fits a fresh window.
      const rest = Math.min(weight, user?.limit ?? 0) - record.counted;
      if (user && record.counted > 0 && rest > 0) await count('user', user, req.user!.id, rest, req);
      return record.slot?.hold() ?? (() => undefined);
    },
    close: async () => {
      streams?.close();
      await Promise.all(stores.map((store) => store.close?.() ?? Promise.resolve()));
    },
  };
}

function streamSlots(max: number, redis: Redis | undefined, logger: Logger): StreamSlots | undefined {
  if (max === 0) return undefined;
  return redis ? new RedisStreamSlots(redis, max, logger) : new LocalStreamSlots(max);
}

/** One of the user's stream slots, held until the response closes; the 429 (policy `"streams"`) when all are taken. */
async function takeStreamSlot(streams: StreamSlots, res: Response, userId: string): Promise<void> {
  const release = await streams.take(userId);
  if (!release) {
    announce(res, 'streams', `q=${streams.max}`, { remaining: 0, resetSeconds: STREAMS_RETRY_SECONDS });
    throw new DomainError(
      'rate_limited',
      `This user has ${streams.max} event streams open already (at most ${streams.max} at once); close one, or try again after Retry-After seconds.`,
      { retryAfterSeconds: STREAMS_RETRY_SECONDS },
    );
  }
  // A client gone while the slot was being taken (a round trip to Redis) has closed already.
  if (res.destroyed) release();
  else res.once('close', release);
}

/**
 * The 429 of a request beyond the in-flight limit: policy `"in-flight"` when all of the user's
 * slots in this process are taken, `"in-flight-costly"` when its one costly request (a search, a
 * bulk request) is running.
 */
function refuseInFlight(res: Response, policy: 'in-flight' | 'in-flight-costly', max: number): DomainError {
  announce(res, policy, `q=${max}`, { remaining: 0, resetSeconds: IN_FLIGHT_RETRY_SECONDS });
  return new DomainError(
    'rate_limited',
    policy === 'in-flight'
      ? `Too many requests of this user in flight (at most ${max} at once); try again after Retry-After seconds.`
      : 'This user already has a search or bulk request in flight (one at a time); try again after Retry-After seconds.',
    { retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS },
  );
}

function storeFor(
  name: string,
  windowSeconds: number,
  { db, redis, logger }: Pick<RateLimitDependencies, 'db' | 'redis' | 'logger'>,
): CounterStore {
  if (redis) return new RedisRateLimitStore(redis, windowSeconds, `rate-limit:${name}:`);
  // The embedded database is one process by construction: counters in memory are exact there.
  if (db.client instanceof ClientPgLite) return new MemoryCounterStore(windowSeconds);
  // Several processes share the counters: counted in memory, written in batches (see that file for its accuracy).
  const warn = (what: string) => (error: unknown) => logger.warn({ component: 'rate-limit', err: error }, what);
  return new BatchedCounterStore(
    new PostgresRateLimitStore(db, windowSeconds, `${name}:`, warn('clean-up of ended rate-limit windows failed')),
    { onFlushError: warn('rate-limit counts could not be written: kept for the next flush, requests go on') },
  );
}

/** Each limit's draft-8 items on a response, by policy name, in the order they were first counted. */
const announced = new WeakMap<Response, Map<string, { policy: string; state: string }>>();

/** Sets (or updates) the policy's items in `RateLimit-Policy` and `RateLimit`, keeping the other policies'. */
function announce(
  res: Response,
  name: string,
  policy: string,
  { remaining, resetSeconds }: { remaining: number; resetSeconds: number },
): void {
  if (res.headersSent) return;
  let items = announced.get(res);
  if (!items) announced.set(res, (items = new Map<string, { policy: string; state: string }>()));
  items.set(name, { policy, state: `r=${remaining}; t=${resetSeconds}` });
  const list = (part: 'policy' | 'state') => [...items].map(([key, item]) => `"${key}"; ${item[part]}`).join(', ');
  res.setHeader('RateLimit-Policy', list('policy'));
  res.setHeader('RateLimit', list('state'));
}

/** Partition keys of the keys seen lately: the same client's every request would hash its key again. */
const partitionKeys = new LRUCache<string, string>({ max: 10_000 });

/** The draft's partition key: a short hash that tells keys apart without revealing them. */
function partitionKey(key: string): string {
  let hashed = partitionKeys.get(key);
  if (hashed === undefined) {
    hashed = Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');
    partitionKeys.set(key, hashed);
  }
  return hashed;
}

function secondsUntil(time: number): number {
  return Math.max(0, Math.ceil((time - Date.now()) / 1000));
}
