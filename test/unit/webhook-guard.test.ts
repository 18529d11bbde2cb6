import type { LookupAddress } from 'node:dns';
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { retryDelaySeconds } from '../../src/webhooks/delivery-job.js';
import { guardedLookup, isPublicAddress, type Resolve } from '../../src/webhooks/public-address.js';
import { refusedUrl } from '../../src/webhooks/webhook-url.js';

// The SSRF guard's rules, and the retry schedule's arithmetic. The guard at work (a name that
// resolves to loopback, refused when connecting) is test/api/webhook-deliveries.test.ts's.

const NOT_PUBLIC = [
  ['0.0.0.0', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['127.255.0.9', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.5.4', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['224.0.0.1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['192.0.2.10', 'documentation'],
  ['240.0.0.1', 'reserved'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['fe80::1', 'link-local'],
  ['fd12:3456::1', 'unique local'],
  ['ff02::1', 'multicast'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:10.1.1.1', 'IPv4-mapped private'],
  ['64:ff9b::a00:1', 'NAT64 (an IPv4 address inside)'],
  ['2002:7f00:1::', '6to4 (an IPv4 address inside)'],
  ['not an address', 'not an address'],
] as const;
const PUBLIC = ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34'];

/** A resolver that gives every name these addresses. */
const resolvingTo =
  (...addresses: LookupAddress[]): Resolve =>
  async () =>
    addresses;

/** What the guarded lookup answers, as a promise. */
function lookUp(resolve: Resolve, allowPrivate: boolean, options: { all?: boolean; family?: number } = {}) {
  return new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family: unknown }>((done) =>
    guardedLookup(resolve, allowPrivate)('hooks.example.com', options, (error, address, family) =>
      done({ error, address, family }),
    ),
  );
}

describe('webhooks: where deliveries may go', () => {
  describe('isPublicAddress', () => {
    for (const [address, kind] of NOT_PUBLIC) {
      it(`refuses ${address} (${kind})`, () => expect(isPublicAddress(address)).to.equal(false));
    }
    for (const address of PUBLIC) it(`accepts ${address}`, () => expect(isPublicAddress(address)).to.equal(true));
  });

  describe('refusedUrl, when a webhook is written', () => {
    const strict = { allowHttp: false, allowPrivate: false };
    it('accepts a public https URL, with a port, a path and a query', () => {
      expect(refusedUrl('https://hooks.example.com:8443/in?team=7', strict)).to.equal(undefined);
      expect(refusedUrl('https://[2606:4700:4700::1111]/in', strict)).to.equal(undefined);
    });
    it('takes http:// and private hosts only where the settings allow them', () => {
      expect(refusedUrl('http://127.0.0.1:3000/in', strict)).to.equal('must be an https:// URL');
      expect(refusedUrl('http://127.0.0.1:3000/in', { ...strict, allowHttp: true })).to.equal(
        'must not name a loopback, private or otherwise non-public address',
      );
      expect(refusedUrl('http://127.0.0.1:3000/in', { allowHttp: true, allowPrivate: true })).to.equal(undefined);
      expect(refusedUrl('ftp://hooks.example.com/', { allowHttp: true, allowPrivate: true })).to.equal(
        'must be an http:// or https:// URL',
      );
    });
  });

  describe('guardedLookup, when a delivery connects', () => {
    it('connects to the public addresses a name resolves to, one or all as asked', async () => {
      const resolve = resolvingTo({ address: '93.184.216.34', family: 4 }, { address: '2606:2800::1', family: 6 });
      expect(await lookUp(resolve, false)).to.deep.equal({ error: null, address: '93.184.216.34', family: 4 });
      expect((await lookUp(resolve, false, { all: true })).address).to.deep.equal([
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800::1', family: 6 },
      ]);
      expect(await lookUp(resolve, false, { family: 6 })).to.deep.equal({
        error: null,
        address: '2606:2800::1',
        family: 6,
      });
    });

    it('refuses a name with any non-public address, unless private addresses are allowed', async () => {
      const resolve = resolvingTo({ address: '93.184.216.34', family: 4 }, { address: '10.0.0.8', family: 4 });
      const refused = await lookUp(resolve, false, { all: true });
      expect(refused.error?.code).to.equal('ERR_ADDRESS_NOT_ALLOWED');
      expect(refused.error?.message).to.equal('hooks.example.com resolves to an address deliveries may not go to');
      expect((await lookUp(resolvingTo({ address: '::ffff:127.0.0.1', family: 6 }), false)).error?.code).to.equal(
        'ERR_ADDRESS_NOT_ALLOWED',
      );
      expect((await lookUp(resolve, true)).address).to.equal('93.184.216.34');
    });

    it('passes a resolution failure on as it came, and a name without an address as ENOTFOUND', async () => {
      const failing: Resolve = () => Promise.reject(Object.assign(new Error('no'), { code: 'EAI_AGAIN' }));
      expect((await lookUp(failing, false)).error?.code).to.equal('EAI_AGAIN');
      expect((await lookUp(resolvingTo(), false)).error?.code).to.equal('ENOTFOUND');
    });
  });

  describe('the retry schedule', () => {
    it('doubles from the base up to the bound: by default 14 attempts over about a day', () => {
      const config = loadConfig({ BETTER_AUTH_SECRET: 'a'.repeat(32) }).webhooks;
      const waits = Array.from({ length: config.maxAttempts - 1 }, (_, index) => retryDelaySeconds(index + 1, config));
      expect(waits.slice(0, 9)).to.deep.equal([60, 120, 240, 480, 960, 1920, 3840, 7680, 14_400]);
      expect(waits.slice(9)).to.deep.equal([14_400, 14_400, 14_400, 14_400]);
      const hours = waits.reduce((sum, wait) => sum + wait, 0) / 3600;
      expect(hours).to.be.within(23, 26);
    });
  });
});
