import { expect } from 'chai';
import { addressKey } from '../../src/http/address-key.js';
import type { CounterStore } from '../../src/rate-limit/counter-store.js';
import { FixedWindowLimiter } from '../../src/rate-limit/fixed-window.js';
import { LocalCostlySlots } from '../../src/rate-limit/costly-slots.js';
import { InFlightLimit } from '../../src/rate-limit/in-flight.js';
import { MemoryCounterStore } from '../../src/rate-limit/rate-limit.memory-store.js';

/** A memory store that tells which keys reached it. */
function countingStore(windowSeconds: number): CounterStore & { calls: string[] } {
  const store = new MemoryCounterStore(windowSeconds);
  const calls: string[] = [];
  return {
    calls,
    hit: (key, weight) => {
      calls.push(key);
      return store.hit(key, weight);
    },
  };
}

describe('rate-limit building blocks', () => {
  describe('addressKey', () => {
    it('keeps IPv4, unwraps IPv4-mapped IPv6, and groups IPv6 by /56', () => {
      expect(addressKey('198.51.100.7')).to.equal('198.51.100.7');
      expect(addressKey('::ffff:198.51.100.7')).to.equal('198.51.100.7');
      expect(addressKey('2001:db8:1234:5678::1')).to.equal('2001:db8:1234:5600::/56');
      expect(addressKey('2001:db8:1234:56ff:ffff::9')).to.equal(addressKey('2001:0db8:1234:5600::1'));
      expect(addressKey('2001:db8:1234:5700::1')).to.not.equal(addressKey('2001:db8:1234:5600::1'));
      expect(addressKey('::1')).to.equal('0:0:0:0::/56');
      expect(addressKey('fe80::1%eth0')).to.equal('fe80:0:0:0::/56');
      expect(addressKey(undefined)).to.equal('unknown');
    });
  });

  describe('FixedWindowLimiter', () => {
    it('adds weights, and once over the limit refuses without the store until the window ends', async () => {
      const store = countingStore(60);
      const limiter = new FixedWindowLimiter(5, 60, store);
      expect(await limiter.hit('a', 4)).to.include({ allowed: true, remaining: 1 });
      expect(await limiter.hit('a', 2)).to.include({ allowed: false, remaining: 0 });
      const refused = await limiter.hit('a', 1);
      expect(refused).to.include({ allowed: false, remaining: 0 });
      expect(refused.resetAt).to.be.closeTo(Date.now() + 60_000, 1_000);
      expect(store.calls).to.deep.equal(['a', 'a']);
    });

    it('asks the store again once the remembered window has ended', async () => {
      const store = countingStore(0.05);
      const limiter = new FixedWindowLimiter(1, 0.05, store);
      await limiter.hit('a', 2);
      const { resetAt } = await limiter.hit('a', 1);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, resetAt - Date.now()) + 5));
      expect(await limiter.hit('a', 1)).to.include({ allowed: true });
      expect(store.calls).to.deep.equal(['a', 'a']);
    });

    it('remembers a bounded number of refused keys, forgetting the oldest first', async () => {
      const store = countingStore(60);
      const limiter = new FixedWindowLimiter(1, 60, store, 2);
      for (const key of ['a', 'b', 'c']) await limiter.hit(key, 2);
      store.calls.length = 0;
      for (const key of ['c', 'b', 'a']) expect(await limiter.hit(key, 1)).to.include({ allowed: false });
      expect(store.calls, 'only the forgotten key reached the store').to.deep.equal(['a']);
    });
  });

  describe('InFlightLimit', () => {
    it('frees a slot once its last holder lets go (the handler outliving an aborted response)', () => {
      const limit = new InFlightLimit(1);
      const slot = limit.tryAcquire('u')!;
      const response = slot.hold();
      const handler = slot.hold();
      expect(limit.tryAcquire('u')).to.equal(undefined);
      response();
      response();
      expect(limit.tryAcquire('u'), 'the handler still holds it').to.equal(undefined);
      handler();
      expect(slot.hold()(), 'a freed slot cannot be held again').to.equal(undefined);
      expect(limit.tryAcquire('u')).to.not.equal(undefined);
      expect(limit.tryAcquire('v'), 'each key has its own').to.not.equal(undefined);
    });

    it('lets go of what it was given to release with it, once, or at once when already free', () => {
      const limit = new InFlightLimit(1);
      const slot = limit.tryAcquire('u')!;
      const drop = slot.hold();
      let released = 0;
      slot.also(() => (released += 1));
      expect(released).to.equal(0);
      drop();
      drop();
      expect(released).to.equal(1);
      slot.also(() => (released += 10));
      expect(released, 'given after the slot was freed').to.equal(11);
    });
  });

  describe('LocalCostlySlots', () => {
    it('gives each key one slot at a time, freed once', async () => {
      const slots = new LocalCostlySlots();
      const release = (await slots.take('u'))!;
      expect(await slots.take('u')).to.equal(undefined);
      expect(await slots.take('v'), 'each key has its own').to.not.equal(undefined);
      release();
      const again = (await slots.take('u'))!;
      release();
      expect(await slots.take('u'), 'a second release of the first slot frees nothing').to.equal(undefined);
      again();
      expect(await slots.take('u')).to.not.equal(undefined);
    });
  });
});
