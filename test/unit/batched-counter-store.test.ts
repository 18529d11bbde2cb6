import { expect } from 'chai';
import { BatchedCounterStore, countedInMemoryUpTo } from '../../src/rate-limit/batched-counter-store.js';
import type { WindowCount } from '../../src/rate-limit/counter-store.js';
import { MemoryCounterStore } from '../../src/rate-limit/rate-limit.memory-store.js';

// The orderings a real database leaves to chance, set step by step over a shared store in memory
// whose batched writes wait until the test lets them through, or fail. The real PostgreSQL store
// is tested in test/db/batched-rate-limit-counters.test.ts.

/** A shared store whose `hitMany` calls wait for `release()` (or fail with `fail()`), until `open()`. */
class GatedStore {
  readonly shared = new MemoryCounterStore(60);
  private gates: { release: () => void; fail: (error: Error) => void }[] = [];
  private opened = false;
  failHits = false;

  async hit(key: string, weight: number): Promise<WindowCount> {
    if (this.failHits) throw new Error('database unavailable');
    return this.shared.hit(key, weight);
  }

  async hitMany(weights: ReadonlyMap<string, number>): Promise<Map<string, WindowCount>> {
    if (!this.opened) await new Promise<void>((release, fail) => this.gates.push({ release, fail }));
    const counts = new Map<string, WindowCount>();
    for (const [key, weight] of weights) counts.set(key, await this.shared.hit(key, weight));
    return counts;
  }

  get waiting(): number {
    return this.gates.length;
  }

  release(): void {
    for (const gate of this.gates.splice(0)) gate.release();
  }

  open(): void {
    this.opened = true;
    this.release();
  }

  fail(): void {
    for (const gate of this.gates.splice(0)) gate.fail(new Error('database unavailable'));
  }
}

describe('BatchedCounterStore', () => {
  const LIMIT = 100;
  let gated: GatedStore;
  let store: BatchedCounterStore;
  let flushErrors: unknown[];
  beforeEach(() => {
    gated = new GatedStore();
    flushErrors = [];
    store = new BatchedCounterStore(gated, {
      onFlushError: (error) => flushErrors.push(error),
      flushEveryMs: 3_600_000,
    });
  });
  afterEach(async () => {
    gated.open();
    await store.close();
  });

  it('counts in the shared store only in the last tenth of the limit, and at least its last 10 hits', () => {
    expect(countedInMemoryUpTo(100)).to.equal(90);
    expect(countedInMemoryUpTo(1_200)).to.equal(1_080);
    expect(countedInMemoryUpTo(50)).to.equal(40);
    expect(countedInMemoryUpTo(10)).to.be.at.most(0);
  });

  it('near the limit, waits for the weight of the key already on its way, and answers a count holding it', async () => {
    for (let i = 0; i < 80; i += 1) await store.hit('k', 1, LIMIT);
    const flushing = store.flush();
    expect(gated.waiting).to.equal(1);
    const nearTheLimit = store.hit('k', 15, LIMIT);
    gated.release();
    await flushing;
    expect((await nearTheLimit).hits).to.equal(95);
  });

  it('keeps the weight of a flush that failed, and of a hit that could not be counted', async () => {
    for (let i = 0; i < 80; i += 1) await store.hit('k', 1, LIMIT);
    const flushing = store.flush();
    gated.fail();
    await flushing;
    expect(flushErrors).to.have.lengthOf(1);
    gated.failHits = true;
    let failure: unknown;
    await store.hit('k', 15, LIMIT).catch((error: unknown) => (failure = error));
    expect(failure, 'the request that needed the shared count fails, as unbatched').to.be.an('error');
    gated.failHits = false;
    expect((await store.hit('k', 15, LIMIT)).hits, 'the 79 unsent hits carried, the failed one not').to.equal(95);
  });

  it('warns once per run of failed flushes, and again after one succeeded', async () => {
    const flushAfterAHit = async (outcome: 'release' | 'fail') => {
      await store.hit('k', 1, LIMIT);
      const flushing = store.flush();
      gated[outcome]();
      await flushing;
    };
    await store.hit('k', 1, LIMIT);
    await flushAfterAHit('fail');
    await flushAfterAHit('fail');
    expect(flushErrors).to.have.lengthOf(1);
    await flushAfterAHit('release');
    await flushAfterAHit('fail');
    expect(flushErrors).to.have.lengthOf(2);
    expect((await gated.shared.hit('k', 0)).hits, 'the weight of the failed flushes was sent with the next').to.equal(
      4,
    );
  });
});
