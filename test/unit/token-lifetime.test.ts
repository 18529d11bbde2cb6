import { expect } from 'chai';
import { lifetimeRefusal } from '../../src/auth/token-lifetime.js';

const NOW = 1_800_000_000;
const DAY = 86_400;
const YEAR = 365 * DAY;
const bounds = { maxAgeSeconds: DAY, clockSkewSeconds: 30 };

describe('token lifetime', () => {
  it('accepts a token that lives at most the bound', () => {
    expect(lifetimeRefusal({ iat: NOW, exp: NOW + 15 * 60 }, bounds, NOW)).to.equal(undefined);
    expect(lifetimeRefusal({ iat: NOW - 600, exp: NOW - 600 + DAY }, bounds, NOW)).to.equal(undefined);
  });

  it('refuses a token that lives longer than the bound: a second more, a hundred years', () => {
    expect(lifetimeRefusal({ iat: NOW, exp: NOW + DAY + 1 }, bounds, NOW)).to.equal('lives-too-long');
    expect(lifetimeRefusal({ iat: NOW, exp: NOW + 100 * YEAR }, bounds, NOW)).to.equal('lives-too-long');
  });

  it('refuses a token without iat when the lifetime is bounded, and accepts it when it is not', () => {
    expect(lifetimeRefusal({ exp: NOW + 60 }, bounds, NOW)).to.equal('no-issue-time');
    expect(lifetimeRefusal({ exp: NOW + 100 * YEAR }, { ...bounds, maxAgeSeconds: 0 }, NOW)).to.equal(undefined);
  });

  it('refuses an iat in the future beyond the clock skew, bounded or not', () => {
    expect(lifetimeRefusal({ iat: NOW + 30, exp: NOW + 600 }, bounds, NOW)).to.equal(undefined);
    expect(lifetimeRefusal({ iat: NOW + 31, exp: NOW + 600 }, bounds, NOW)).to.equal('issued-in-the-future');
    for (const maxAgeSeconds of [DAY, 0]) {
      expect(
        lifetimeRefusal({ iat: NOW + 10 * YEAR, exp: NOW + 10 * YEAR + 600 }, { ...bounds, maxAgeSeconds }, NOW),
      ).to.equal('issued-in-the-future');
    }
  });

  it('leaves a token without exp to the claims check (which refuses it)', () => {
    expect(lifetimeRefusal({ iat: NOW }, bounds, NOW)).to.equal(undefined);
  });
});
