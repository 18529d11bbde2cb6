import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../../src/rate-limit/rate-limit.redis-store.js';
import { LocalStreamSlots, RedisStreamSlots } from '../../src/rate-limit/stream-slots.js';
import { recordingLogger, redisReachable, TEST_REDIS_URL } from '../helpers/signals.js';
import { pollUntil } from '../helpers/wait.js';

// Each user's open event streams, up to EVENT_STREAMS_PER_USER (src/rate-limit/stream-slots.ts):
// in the process, or across the processes sharing a Redis, where each stream holds a lease that
// its process renews and lets go of, and that expires when its process died without doing either.

describe('stream slots', () => {
  describe('in the process', () => {
    it("holds each user's streams up to the bound, and frees one when it is let go of", async () => {
      const slots = new LocalStreamSlots(2);
      const [first, second] = [await slots.take('alice'), await slots.take('alice')];
      expect([first, second].every((release) => typeof release === 'function')).to.equal(true);
      expect(await slots.take('alice')).to.equal(undefined);
      expect(await slots.take('bob'), "another user's are counted apart").to.be.a('function');
      first!();
      first!(); // a second release frees nothing more
      expect(await slots.take('alice')).to.be.a('function');
      expect(await slots.take('alice')).to.equal(undefined);
    });
  });

  describe('in Redis, across processes', function () {
    this.timeout(30_000);
    const clients: Redis[] = [];
    const made: RedisStreamSlots[] = [];
    let prefix: string;

    before(async function () {
      if (!(await redisReachable())) {
        if (process.env.CI) throw new Error(`Redis unreachable at ${TEST_REDIS_URL}; CI requires it`);
        return this.skip();
      }
    });
    beforeEach(() => {
      prefix = `test-${randomUUID()}:`;
    });
    afterEach(() => {
      for (const slots of made.splice(0)) slots.close();
      for (const client of clients.splice(0)) client.disconnect();
    });

    /** A process's slots (its own Redis client, the keys of this test), with these lease timings. */
    async function processSlots(max: number, timings?: { leaseMs: number; renewMs: number }, url = TEST_REDIS_URL) {
      const { logger, lines } = recordingLogger();
      const client = createRedisClient(url, logger, prefix);
      clients.push(client);
      if (url === TEST_REDIS_URL) await pollUntil(() => client.status === 'ready', 'Redis to be ready');
      const slots = new RedisStreamSlots(client, max, logger, timings);
      made.push(slots);
      return { slots, client, lines };
    }

    it("bounds a user's streams across processes; a stream let go of frees its slot for any", async () => {
      const [a, b] = [await processSlots(2), await processSlots(2)];
      const onA = await a.slots.take('alice');
      expect(await b.slots.take('alice')).to.be.a('function');
      expect(await a.slots.take('alice')).to.equal(undefined);
      expect(await b.slots.take('alice')).to.equal(undefined);
      expect(await b.slots.take('bob')).to.be.a('function');
      onA!();
      await pollUntil(async () => (await b.slots.take('alice')) !== undefined, "A's slot to free");
    });

    it('keeps a lease alive past its length while its stream is open, renewing it', async () => {
      const [a, b] = [await processSlots(1, { leaseMs: 300, renewMs: 50 }), await processSlots(1)];
      await a.slots.take('alice');
      const score = async () => Number((await a.client.zrange('event-streams:alice', '0', '-1', 'WITHSCORES'))[1]);
      const first = await score();
      // Renewed twice: past the first expiry, and still counted.
      await pollUntil(async () => (await score()) > first + 300, 'the lease to be renewed past its first expiry');
      expect(await b.slots.take('alice')).to.equal(undefined);
    });

    it('frees the slots of a process that died without letting go once their leases expire', async () => {
      const [a, b] = [await processSlots(1, { leaseMs: 300, renewMs: 100 }), await processSlots(1)];
      expect(await a.slots.take('alice')).to.be.a('function');
      a.slots.close(); // no more renewals, no release: as a process killed
      expect(await b.slots.take('alice')).to.equal(undefined);
      await pollUntil(async () => (await b.slots.take('alice')) !== undefined, 'the lease to expire');
    });

    it('counts in the process while Redis does not answer (warned once), rather than refusing every stream', async () => {
      const { slots, lines } = await processSlots(1, undefined, 'redis://127.0.0.1:1');
      const first = await slots.take('alice');
      expect(first).to.be.a('function');
      expect(await slots.take('alice')).to.equal(undefined);
      first!();
      expect(await slots.take('alice')).to.be.a('function');
      const warnings = lines.filter((line) => line.component === 'event-streams');
      expect(warnings).to.have.length(1);
      expect(warnings[0]!.msg).to.match(/counted by this process alone/);
    });
  });
});
