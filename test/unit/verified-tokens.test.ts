import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JWTPayload } from 'jose';
import { rememberVerifiedTokens, type VerifiedToken } from '../../src/auth/verified-tokens.js';
import { TokenRefused } from '../../src/auth/token-verifier.js';
import { pollUntil } from '../helpers/wait.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * A verifier that accepts the tokens in `valid` with their claims, its keys trusted for
 * `trustedForMs` (the shared secret's Infinity by default), and counts its calls.
 */
function countingVerifier(
  valid: Record<string, JWTPayload>,
  trustedForMs = Infinity,
): ((token: string) => Promise<VerifiedToken>) & { calls: string[] } {
  const calls: string[] = [];
  const verify = async (token: string) => {
    calls.push(token);
    const claims = valid[token];
    if (!claims) throw new TokenRefused('invalid');
    if (claims.exp !== undefined && claims.exp < nowSeconds()) throw new TokenRefused('expired');
    return { claims, trustedForMs };
  };
  return Object.assign(verify, { calls });
}

describe('verified tokens are remembered', () => {
  it('verifies a token once and answers its repeats with the same claims', async () => {
    const claims = { sub: 'alice', exp: nowSeconds() + 600 };
    const inner = countingVerifier({ 'token-a': claims });
    const verify = rememberVerifiedTokens(inner, 0);
    for (let attempt = 0; attempt < 3; attempt++) expect(await verify('token-a')).to.deep.equal(claims);
    expect(inner.calls).to.deep.equal(['token-a']);
  });

  it('never remembers a refused token, and a refused token never matches a remembered one', async () => {
    const inner = countingVerifier({ 'token-a': { sub: 'alice', exp: nowSeconds() + 600 } });
    const verify = rememberVerifiedTokens(inner, 0);
    await verify('token-a');
    for (let attempt = 0; attempt < 2; attempt++) {
      const refusal = await verify('token-a-with-another-signature').catch((error: unknown) => error);
      expect(refusal).to.be.instanceOf(TokenRefused);
    }
    expect(inner.calls).to.deep.equal(['token-a', 'token-a-with-another-signature', 'token-a-with-another-signature']);
  });

  it('forgets a token when it expires, clock skew included', async () => {
    const exp = nowSeconds() + 1;
    const inner = countingVerifier({ 'short-lived': { sub: 'alice', exp } });
    const verify = rememberVerifiedTokens(inner, 1);
    await verify('short-lived');
    await verify('short-lived');
    expect(inner.calls).to.have.lengthOf(1);
    await sleep((exp + 1) * 1000 - Date.now() + 50); // past exp + the 1 s of skew
    const refusal = await verify('short-lived').catch((error: unknown) => error);
    expect(refusal).to.be.instanceOf(TokenRefused).with.property('refusal', 'expired');
    expect(inner.calls).to.have.lengthOf(2);
  });

  it('forgets a token once the key that verified it is due to be fetched again, however long the token lives', async () => {
    const inner = countingVerifier({ 'token-a': { sub: 'alice', exp: nowSeconds() + 600 } }, 200);
    const verify = rememberVerifiedTokens(inner, 0);
    const started = performance.now();
    await verify('token-a');
    await verify('token-a');
    expect(inner.calls).to.have.lengthOf(1);
    await pollUntil(async () => {
      await verify('token-a');
      return inner.calls.length === 2;
    }, 'the token to be verified again');
    expect(performance.now() - started, 'not before the key trust ran out').to.be.at.least(200);
  });

  it('does not remember what a key no longer trusted verified (old keys kept while the JWKS is down)', async () => {
    const inner = countingVerifier({ 'token-a': { sub: 'alice', exp: nowSeconds() + 600 } }, -1);
    const verify = rememberVerifiedTokens(inner, 0);
    await verify('token-a');
    await verify('token-a');
    expect(inner.calls).to.have.lengthOf(2);
  });

  it('does not remember a token without exp (the claims check refuses it)', async () => {
    const inner = countingVerifier({ 'no-exp': { sub: 'alice' } });
    const verify = rememberVerifiedTokens(inner, 0);
    await verify('no-exp');
    await verify('no-exp');
    expect(inner.calls).to.have.lengthOf(2);
  });
});
