import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit, type Options, type Store } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../config.js';
import { DomainError } from '../contract/domain-error.js';
import { PostgresRateLimitStore } from '../rate-limit/rate-limit.postgres-store.js';
import { RateLimitStoreUnavailable, RedisRateLimitStore } from '../rate-limit/rate-limit.redis-store.js';

export interface RateLimits {
  /** App-level middleware for /api: counts every request by client address, before authentication. */
  readonly byAddress: RequestHandler;
  /** A dispatch step once the caller is known (`req.user` set): counts the request by user; throws the 429. */
  readonly byUser: (req: Request, res: Response) => Promise<void>;
}

interface RateLimitDependencies {
  readonly config: RateLimitConfig;
  readonly db: Knex;
  /** When given, the counters live in Redis; otherwise in PostgreSQL, or in memory on the embedded database. */
  readonly redis: Redis | undefined;
  readonly logger: Logger;
}

/**
 * The two limits, each a fixed window of RATE_LIMIT_WINDOW_SECONDS with counters shared by every
 * process. Each sends the IETF draft-8 headers under its own policy name, `"address"` or `"user"`;
 * express-rate-limit appends rather than replaces them, so a request counted by both carries both
 * policies in `RateLimit-Policy` and what is left of each in `RateLimit`, and a request refused
 * by the address limit (the user one never ran) carries only that one. `Retry-After` is that of
 * the limit that refused the request.
 */
export function createRateLimits({ config, db, redis, logger }: RateLimitDependencies): RateLimits {
  const limiterLog = {
    warn: (error: unknown, message?: string) =>
      logger.warn({ component: 'rate-limit', err: error }, message ?? 'rate limiter warning'),
    error: (error: unknown, message?: string) =>
      logger.error({ component: 'rate-limit', err: error }, message ?? 'rate limiter error'),
  };
  const limiter = (name: 'address' | 'user', limit: number, options: Partial<Options>): RequestHandler | undefined => {
    if (limit === 0) return undefined;
    const middleware = rateLimit({
      windowMs: config.windowSeconds * 1000,
      limit,
      identifier: name,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      store: storeFor(name, { db, redis, logger }),
      logger: limiterLog,
      handler: (_req, _res, next) =>
        next(
          new DomainError('rate_limited', `Too many requests from this ${name}; try again after Retry-After seconds.`),
        ),
      ...options,
    });
    return redis ? failingOpen(middleware, redis) : middleware;
  };

  // The default key: the client address as Express reads it (TRUST_PROXY), IPv6 by /56 subnet.
  const byAddress = limiter('address', config.perAddress, {});
  const byUser = limiter('user', config.perUser, { keyGenerator: (req) => userOf(req).id });
  return {
    byAddress: byAddress ?? ((_req, _res, next) => next()),
    byUser: async (req, res) => {
      if (byUser)
        await new Promise<void>((resolve, reject) =>
          byUser(req, res, (error?: unknown) =>
            error
              ? reject(error instanceof Error ? error : new Error('the user rate limit failed', { cause: error }))
              : resolve(),
          ),
        );
    },
  };
}

function storeFor(name: string, { db, redis, logger }: Omit<RateLimitDependencies, 'config'>): Store | undefined {
  if (redis) return new RedisRateLimitStore(redis, `rate-limit:${name}:`);
  // The embedded database is one process by construction: express-rate-limit's memory store is exact there.
  if (db.client instanceof ClientPgLite) return undefined;
  return new PostgresRateLimitStore(db, `${name}:`, (error) =>
    logger.warn({ component: 'rate-limit', err: error }, 'clean-up of ended rate-limit windows failed'),
  );
}

/**
 * Redis trouble lets requests through unlimited (fail open), rather than answering 503: Redis
 * only protects the service, which can still do all its work without it, so its outage must not
 * become the API's. The request then carries no RateLimit header, since no limit was counted. An
 * outage is logged once by the client (rate-limit.redis-store.ts); a failure while it is connected
 * (a timeout, an unexpected reply) is logged with the request.
 */
function failingOpen(limiter: RequestHandler, redis: Redis): RequestHandler {
  return (req, res, next: NextFunction) =>
    limiter(req, res, (error?: unknown) => {
      if (!(error instanceof RateLimitStoreUnavailable)) return next(error);
      if (redis.status === 'ready') req.log.warn({ err: error }, 'request not rate limited: Redis did not answer');
      next();
    });
}

function userOf(req: Request): Express.User {
  if (!req.user) throw new Error('the per-user rate limit runs after authentication');
  return req.user;
}
