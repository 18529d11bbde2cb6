import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { eventSignalFor } from '../../src/background.js';
import type { Config } from '../../src/config.js';
import { createEventSignal, type EventSignal } from '../../src/events/event-signal.js';
import { createLogger } from '../../src/logger.js';
import { createRedisClient } from '../../src/rate-limit/rate-limit.redis-store.js';
import { IN_TEST_BOUND_MS, within } from './wait.js';

/** Where the tests' Redis is (the CI machine's, and this one's). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether a Redis answers at TEST_REDIS_URL. */
export async function redisReachable(): Promise<boolean> {
  const probe = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000 });
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A logger whose lines the test can read. */
export function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    { logLevel: 'info', logFormat: 'json' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

/** What a subscriber heard: each announced user, `undefined` for "every user" (a gap). */
export class Heard {
  readonly users: (string | undefined)[] = [];
  private readonly waiters = new Set<() => void>();
  readonly unsubscribe: () => void;

  /** `own`: only what the signal's own process announced (subscribeOwn). */
  constructor(signal: EventSignal, which: 'all' | 'own' = 'all') {
    const hear = (user: string | undefined) => {
      this.users.push(user);
      for (const waiter of this.waiters) waiter();
    };
    this.unsubscribe = which === 'own' ? signal.subscribeOwn(hear) : signal.subscribe(hear);
  }

  /** Waits, bounded, until `condition` holds of what was heard. */
  async until(condition: (users: (string | undefined)[]) => boolean, what: string): Promise<void> {
    let waiter: () => void = () => undefined;
    const holds = new Promise<void>((resolve) => {
      waiter = () => {
        if (condition(this.users)) resolve();
      };
      this.waiters.add(waiter);
      waiter();
    });
    try {
      await within(holds, IN_TEST_BOUND_MS, what, () => `; heard ${JSON.stringify(this.users.slice(-20))}`);
    } finally {
      this.waiters.delete(waiter);
    }
  }

  /** Waits until `user` was heard. */
  hears(user: string): Promise<void> {
    return this.until((users) => users.includes(user), `an announcement of ${user}`);
  }

  /** Waits until a gap (every user) was heard. */
  hearsGap(): Promise<void> {
    return this.until((users) => users.includes(undefined), 'a gap (every user)');
  }
}

/** A process's signal, built as src/server.ts builds it: over PostgreSQL (LISTEN on `listenUrl`), or over Redis. */
export interface ProcessSignal {
  readonly signal: EventSignal;
  readonly lines: Record<string, unknown>[];
  close(): Promise<void>;
}

export function postgresSignal(db: Knex, listenUrl: string): ProcessSignal {
  const { logger, lines } = recordingLogger();
  const background: Config['background'] = {
    runJobs: false,
    listenUrl,
    remindersPollMs: 1000,
    superviseSeconds: 60,
    heartbeatSeconds: 30,
  };
  const signal = eventSignalFor({ background }, db, 'postgres', undefined, logger);
  return { signal, lines, close: () => signal.close() };
}

/**
 * A signal over Redis, its client named `name` (its subscriber inherits the name, so that a test
 * can find that connection in CLIENT LIST and kill it).
 */
export function redisSignal(db: Knex, name = `signal-test-${randomUUID()}`): ProcessSignal & { readonly name: string } {
  const { logger, lines } = recordingLogger();
  const redis = createRedisClient(TEST_REDIS_URL, logger, `test-${randomUUID()}:`);
  redis.options.connectionName = name;
  const background: Config['background'] = {
    runJobs: false,
    listenUrl: undefined,
    remindersPollMs: 1000,
    superviseSeconds: 60,
    heartbeatSeconds: 30,
  };
  const signal = eventSignalFor({ background }, db, 'postgres', redis, logger);
  return {
    name,
    signal,
    lines,
    close: async () => {
      await signal.close();
      redis.disconnect();
    },
  };
}

/** A process's own signal that counts its subscribers: a stream that went away must have unsubscribed. */
export function countingSignal(): EventSignal & { subscribers(): number } {
  const { logger } = recordingLogger();
  const inner = createEventSignal(undefined, logger);
  let subscribers = 0;
  return {
    announce: (userId) => inner.announce(userId),
    subscribeOwn: (listener) => inner.subscribeOwn(listener),
    subscribe(listener) {
      subscribers += 1;
      const unsubscribe = inner.subscribe(listener);
      let done = false;
      return () => {
        if (!done) subscribers -= 1;
        done = true;
        unsubscribe();
      };
    },
    close: () => inner.close(),
    subscribers: () => subscribers,
  };
}
