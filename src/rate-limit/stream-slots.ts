import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Release } from './costly-slots.js';
import { InFlightLimit } from './in-flight.js';

/**
 * Each user's open event streams, up to a bound (EVENT_STREAMS_PER_USER): a stream holds its slot
 * for as long as it is open.
 */
export interface StreamSlots {
  readonly max: number;
  /** A slot for one more of the user's streams, or undefined while `max` of them are open. */
  take(userId: string): Promise<Release | undefined>;
  /** Stops what keeps the slots alive (the Redis leases' renewal); streams still open keep theirs until they close. */
  close(): void;
}

/** The streams of this process alone: exact, and free of any round trip. */
export class LocalStreamSlots implements StreamSlots {
  private readonly open: InFlightLimit;

  constructor(readonly max: number) {
    this.open = new InFlightLimit(max);
  }

  take(userId: string): Promise<Release | undefined> {
    return Promise.resolve(this.open.tryAcquire(userId)?.hold());
  }

  close(): void {}
}

/** How long a lease lasts unless renewed: a process that died without letting go frees its slots after this. */
const LEASE_MS = 45_000;
/** Every live lease is renewed this often, all of this process's in one round trip. */
const RENEW_MS = 15_000;

/**
 * Takes a lease for the member (ARGV[3]) in the user's set of leases (KEYS[1], scored by expiry),
 * unless `limit` (ARGV[2]) unexpired ones are there (those expired at ARGV[1] are dropped
 * first); answers 1 when taken. One script: atomic across the processes sharing the Redis.
 */
const TAKE_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

interface TakeCommand {
  streamSlotTake(
    key: string,
    now: number,
    limit: number,
    member: string,
    expiresAt: number,
    ttlMs: number,
  ): Promise<number>;
}

/**
 * The streams of every process sharing the Redis: each open stream holds a lease (a member of its
 * user's sorted set, scored by when it expires), renewed while the stream is open and removed
 * when it closes; a process that dies leaves leases that expire after LEASE_MS. Redis trouble
 * never refuses a stream for nothing: while Redis does not answer, this process's own count bounds
 * the user's streams (as LocalStreamSlots), as the rate limits fail open (README).
 */
export class RedisStreamSlots implements StreamSlots {
  private readonly client: Redis & TakeCommand;
  /** This process's live leases: member -> the user's key. */
  private readonly leases = new Map<string, string>();
  private readonly local: LocalStreamSlots;
  private readonly renewal: NodeJS.Timeout;
  private failing = false;

  constructor(
    client: Redis,
    readonly max: number,
    private readonly logger: Logger,
    private readonly timings: { readonly leaseMs: number; readonly renewMs: number } = {
      leaseMs: LEASE_MS,
      renewMs: RENEW_MS,
    },
  ) {
    if (!('streamSlotTake' in client)) client.defineCommand('streamSlotTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.client = client as Redis & TakeCommand;
    this.local = new LocalStreamSlots(max);
    this.renewal = setInterval(() => void this.renew(), timings.renewMs);
    this.renewal.unref();
  }

  async take(userId: string): Promise<Release | undefined> {
    const key = `event-streams:${userId}`;
    const member = randomUUID();
    const now = Date.now();
    let taken: number;
    try {
      const { leaseMs } = this.timings;
      taken = await this.client.streamSlotTake(key, now, this.max, member, now + leaseMs, leaseMs);
      this.failing = false;
    } catch (error) {
      this.warnOnce(error, 'Redis did not count an event stream: counted by this process alone until it answers');
      return this.local.take(userId);
    }
    if (taken !== 1) return undefined;
    this.leases.set(member, key);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.leases.delete(member);
      // A lease not removed (Redis down) expires by itself.
      this.client.zrem(key, member).catch(() => undefined);
    };
  }

  close(): void {
    clearInterval(this.renewal);
  }

  private async renew(): Promise<void> {
    if (this.leases.size === 0) return;
    const { leaseMs } = this.timings;
    const expiresAt = Date.now() + leaseMs;
    const pipeline = this.client.pipeline();
    for (const [member, key] of this.leases) pipeline.zadd(key, expiresAt, member).pexpire(key, leaseMs);
    try {
      await pipeline.exec();
    } catch (error) {
      this.warnOnce(error, 'Redis did not renew the event streams: they may be undercounted until they reconnect');
    }
  }

  private warnOnce(error: unknown, message: string): void {
    if (!this.failing) this.logger.warn({ component: 'event-streams', err: error }, message);
    this.failing = true;
  }
}
