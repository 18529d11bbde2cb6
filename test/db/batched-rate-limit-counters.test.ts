import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { BatchedCounterStore, countedInMemoryUpTo } from '../../src/rate-limit/batched-counter-store.js';
import { FixedWindowLimiter, type Verdict } from '../../src/rate-limit/fixed-window.js';
import { PostgresRateLimitStore } from '../../src/rate-limit/rate-limit.postgres-store.js';
import { adminKnex, DATABASE_KINDS, sharedTestDatabase } from '../helpers/databases.js';
import { statementsDuring } from '../helpers/statements.js';

// The batched counters over the real PostgreSQL table: few statements, exact near the limit,
// shared between "processes" (two stores over one table, each with its own memory), robust to a
// failed flush, and forgetful of ended windows. Flushes are called by the tests; the timer's
// interval is set far beyond any test.

const WINDOW_SECONDS = 60;
const NO_TIMER_MS = 3_600_000;

const inserts = (statements: string[]) => statements.filter((sql) => sql.trimStart().startsWith('insert'));

for (const kind of DATABASE_KINDS.filter((each) => each !== 'pglite')) {
  describe(`batched rate-limit counters over PostgreSQL [${kind}]`, function () {
    this.timeout(30_000);
    let db: Knex;
    let directUrl: string;
    let prefix: string;
    const stores: BatchedCounterStore[] = [];
    const flushErrors: unknown[] = [];
    /** Background clean-ups of ended windows that failed: not what these tests look at. */
    const cleanUpErrors: unknown[] = [];

    before(async () => {
      const database = await sharedTestDatabase(kind);
      db = database.knex;
      directUrl = database.directUrl!;
    });
    beforeEach(() => {
      prefix = `batched-${randomUUID()}:`;
      flushErrors.length = 0;
    });
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      await db('rate_limit_counters').where('key', 'like', `${prefix}%`).del();
    });

    /** One process's counters: a batched store of its own over the shared table. */
    const processCounters = (over: Knex = db, now?: () => number) => {
      const store = new BatchedCounterStore(
        new PostgresRateLimitStore(over, WINDOW_SECONDS, prefix, (error) => cleanUpErrors.push(error)),
        { onFlushError: (error) => flushErrors.push(error), flushEveryMs: NO_TIMER_MS, now },
      );
      stores.push(store);
      return store;
    };
    const storedHits = async (key: string) =>
      (
        await db('rate_limit_counters')
          .where({ key: prefix + key })
          .first<{ hits: number } | undefined>('hits')
      )?.hits;

    it('counts 1,000 hits of one key, and 1,000 over 100 keys, in far fewer statements, and exactly', async () => {
      const store = processCounters();
      const oneKey = await statementsDuring(db, async () => {
        for (let i = 0; i < 1_000; i += 1) await store.hit('one', 1, 10_000);
        await store.flush();
      });
      // The window's first hit, one flush (and this store's first clean-up of ended windows).
      expect(inserts(oneKey)).to.have.lengthOf(2);
      expect(oneKey.length).to.be.at.most(3);
      expect(await storedHits('one')).to.equal(1_000);

      const manyKeys = await statementsDuring(db, async () => {
        for (let i = 0; i < 1_000; i += 1) await store.hit(`key-${i % 100}`, 1, 10_000);
        await store.flush();
      });
      expect(manyKeys, "each key's first hit, and one flush for all of them").to.have.lengthOf(101);
      for (const key of ['key-0', 'key-57', 'key-99']) expect(await storedHits(key)).to.equal(10);
    });

    it('answers hits from memory with the count as this process knows it', async () => {
      const store = processCounters();
      expect((await store.hit('k', 1, 1_000)).hits).to.equal(1);
      const statements = await statementsDuring(db, async () => {
        for (let i = 2; i <= 10; i += 1) expect((await store.hit('k', 1, 1_000)).hits).to.equal(i);
        expect((await store.hit('k', 5, 1_000)).hits, 'weights add up').to.equal(15);
      });
      expect(inserts(statements)).to.deep.equal([]);
    });

    it("lets two processes learn each other's counts from their flushes", async () => {
      const [a, b] = [processCounters(), processCounters()];
      for (let i = 0; i < 5; i += 1) await a.hit('shared', 1, 1_000);
      for (let i = 0; i < 3; i += 1) await b.hit('shared', 1, 1_000);
      await a.flush();
      await b.flush();
      expect((await b.hit('shared', 1, 1_000)).hits, "b's flush taught it all of a's 5").to.equal(5 + 3 + 1);
      // a learned b's first hit (counted in the table at once), not the 2 b flushed after a's flush.
      expect((await a.hit('shared', 1, 1_000)).hits).to.equal(5 + 1 + 1);
      await a.flush();
      expect((await a.hit('shared', 1, 1_000)).hits, "a's flush taught it b's flushed 3").to.equal(5 + 3 + 1 + 1);
      await b.flush();
      await a.flush();
      expect(await storedHits('shared'), 'every hit of both').to.equal(5 + 3 + 1 + 1 + 1);
    });

    it('refuses exactly at the limit in one process, counting the last hits one by one', async () => {
      const limiter = new FixedWindowLimiter(50, WINDOW_SECONDS, processCounters());
      const verdicts: Verdict[] = [];
      const statements = await statementsDuring(db, async () => {
        for (let i = 0; i < 60; i += 1) verdicts.push(await limiter.hit('edge', 1));
      });
      expect(verdicts.filter(({ allowed }) => allowed)).to.have.lengthOf(50);
      expect(verdicts[49]).to.include({ allowed: true, remaining: 0 });
      expect(verdicts[50]).to.include({ allowed: false, remaining: 0 });
      // The first hit, then each hit past countedInMemoryUpTo(50) = 40 up to the refused one.
      expect(inserts(statements)).to.have.lengthOf(1 + (51 - countedInMemoryUpTo(50)));
      expect(await storedHits('edge'), 'the refused hit counted, those after it not').to.equal(51);
    });

    it('refuses exactly across processes once both know the count is near the limit', async () => {
      const [a, b] = [processCounters(), processCounters()].map(
        (store) => new FixedWindowLimiter(50, WINDOW_SECONDS, store),
      );
      for (let i = 0; i < 45; i += 1) expect((await a!.hit('both', 1)).allowed).to.equal(true);
      // b's first hit learns 46: from then on both count every hit in the table.
      const verdicts: Verdict[] = [];
      for (let i = 0; i < 10; i += 1) verdicts.push(await (i % 2 === 0 ? b : a)!.hit('both', 1));
      expect(verdicts.map(({ allowed }) => allowed)).to.deep.equal([
        true,
        true,
        true,
        true,
        true,
        false,
        false,
        false,
        false,
        false,
      ]);
    });

    it('keeps the weight of a failed flush for the next one, failing no hit and warning once', async () => {
      const own = adminKnex(directUrl, 2);
      try {
        const store = processCounters(own);
        await store.hit('outage', 1, 1_000);
        for (let i = 0; i < 20; i += 1) await store.hit('outage', 1, 1_000);
        await own.destroy(); // the database goes away for this process
        await store.flush();
        for (let i = 0; i < 5; i += 1) expect((await store.hit('outage', 1, 1_000)).hits).to.equal(22 + i);
        await store.flush();
        expect(flushErrors, 'one warning for the run of failed flushes').to.have.lengthOf(1);
        expect(await storedHits('outage'), 'only the first hit reached the table').to.equal(1);
        own.initialize(); // and comes back
        await store.flush();
        expect(await storedHits('outage')).to.equal(26);
        expect(flushErrors).to.have.lengthOf(1);
      } finally {
        await Promise.all(stores.splice(0).map((store) => store.close()));
        await own.destroy();
      }
    });

    it('forgets ended windows, with any weight they had not sent', async () => {
      let now = Date.now();
      const store = processCounters(db, () => now);
      for (let i = 0; i < 100; i += 1) await store.hit(`passing-${i % 50}`, 1, 1_000);
      expect(store.keysKept).to.equal(50);
      now += (WINDOW_SECONDS + 1) * 1000;
      const statements = await statementsDuring(db, () => store.flush());
      expect(inserts(statements), 'nothing of an ended window is written').to.deep.equal([]);
      expect(store.keysKept).to.equal(0);
      expect(await storedHits('passing-0')).to.equal(1);
    });

    it('writes what it holds when closed', async () => {
      const store = processCounters();
      for (let i = 0; i < 7; i += 1) await store.hit('closing', 1, 1_000);
      await store.close();
      expect(await storedHits('closing')).to.equal(7);
    });
  });
}
