import { createPublicKey } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { AuthConfig } from '../../src/config.js';
import { request, type ApiResponse, type Problem } from '../helpers/api-client.js';
import { DATABASE_KINDS, sharedTestDatabase, type TestDatabase } from '../helpers/databases.js';
import {
  AUTH_ORIGIN,
  betterAuthUserId,
  generateSigningKey,
  JWKS_ALGORITHMS,
  JwksServer,
  signBetterAuthToken,
  type BetterAuthTokenOptions,
  type SigningKey,
} from '../helpers/jwks-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { IN_TEST_BOUND_MS, pollUntil } from '../helpers/wait.js';
import {
  expectInvalidToken,
  expectNoLibraryMessage,
  nowSeconds,
  signRaw,
  TEST_SECRET,
  tokenFor,
  unsignedToken,
} from '../helpers/tokens.js';

/** The service pointed at Better Auth only: its JWKS, its origin as issuer and audience. */
const BETTER_AUTH: Partial<AuthConfig> = {
  secret: undefined,
  issuer: AUTH_ORIGIN,
  audience: AUTH_ORIGIN,
  clockSkewSeconds: 30,
  jwksCacheSeconds: 600,
  jwksCooldownSeconds: 30,
  jwksTimeoutMs: 2000,
};

const UNKNOWN_KEY = 'The token is signed with a key this service does not know.';

/** Runs `action` and says how long it took, in milliseconds. */
async function timed<T>(action: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await action();
  return [result, performance.now() - started];
}

interface Setup {
  readonly jwks: JwksServer;
  readonly api: TestServer;
  /** GET /api/{sub}/tasks as a new Better Auth user whose token `key` signs. */
  listOwnTasks(
    key: SigningKey,
    options?: Partial<BetterAuthTokenOptions>,
  ): Promise<{ response: ApiResponse; token: string }>;
  /** GET /api/{sub}/tasks with this token. */
  listTasksOf(sub: string, token: string): Promise<ApiResponse>;
  /** The JWKS warnings the service logged. */
  jwksWarnings(): Record<string, unknown>[];
}

for (const kind of DATABASE_KINDS) {
  describe(`auth: tokens verified with a JWKS (Better Auth) [${kind}]`, () => {
    let database: TestDatabase | undefined;
    const keys = {} as Record<(typeof JWKS_ALGORITHMS)[number], SigningKey>;
    /** Keys the auth server has not published (yet). */
    let unpublished: SigningKey;
    let anotherEdDsaKey: SigningKey;
    const running: { close(): Promise<void> }[] = [];

    before(async function () {
      this.timeout(60_000);
      database = await sharedTestDatabase(kind);
      for (const alg of JWKS_ALGORITHMS) keys[alg] = await generateSigningKey(alg);
      unpublished = await generateSigningKey('EdDSA');
      anotherEdDsaKey = await generateSigningKey('EdDSA');
    });
    afterEach(async () => {
      await Promise.all(running.splice(0).map((server) => server.close()));
    });

    /** A JWKS endpoint publishing `published`, and the service trusting it (Better Auth's settings, then `auth`). */
    async function start(published: SigningKey[], auth: Partial<AuthConfig> = {}): Promise<Setup> {
      const jwks = await JwksServer.start(published);
      running.push(jwks);
      const api = await startTestServer(database!.knex, { auth: { ...BETTER_AUTH, jwksUrl: jwks.url, ...auth } });
      running.push(api);
      const listTasksOf = (sub: string, token: string) => request(api.baseUrl, 'GET', `/api/${sub}/tasks`, { token });
      return {
        jwks,
        api,
        listTasksOf,
        async listOwnTasks(key, options = {}) {
          const sub = betterAuthUserId();
          const token = await signBetterAuthToken(key, { sub, ...options });
          return { response: await listTasksOf(sub, token), token };
        },
        jwksWarnings: () => api.logs.filter((line) => 'jwks_url' in line),
      };
    }

    async function expectAccepted(
      setup: Setup,
      key: SigningKey,
      options: Partial<BetterAuthTokenOptions> = {},
    ): Promise<void> {
      const { response } = await setup.listOwnTasks(key, options);
      expect(response.status, JSON.stringify(response.body)).to.equal(200);
    }

    async function expectRefused(
      setup: Setup,
      key: SigningKey,
      detail: string,
      options: Partial<BetterAuthTokenOptions> = {},
    ): Promise<void> {
      const { response, token } = await setup.listOwnTasks(key, options);
      expectInvalidToken(response, token);
      expect((response.body as Problem).detail).to.equal(detail);
    }

    describe("Better Auth's tokens", () => {
      for (const alg of JWKS_ALGORITHMS) {
        it(`accepts a ${alg} token signed with a published key`, async () => {
          await expectAccepted(await start(Object.values(keys)), keys[alg]);
        });
      }

      it("provisions the user from the token's sub, email and name", async () => {
        const setup = await start([keys.EdDSA]);
        const sub = betterAuthUserId();
        const token = await signBetterAuthToken(keys.EdDSA, { sub });
        const response = await request(setup.api.baseUrl, 'GET', '/api/me', { token });
        expect(response.status).to.equal(200);
        expect(response.body).to.include({
          id: sub,
          email: `${sub.toLowerCase()}@example.com`,
          name: `Name of ${sub}`,
        });
      });

      const notForUs: [string, Partial<BetterAuthTokenOptions>][] = [
        ['another issuer', { iss: 'https://evil.example.com' }],
        ['another audience', { aud: 'https://other-api.example.com' }],
      ];
      for (const [name, options] of notForUs) {
        it(`refuses a token from ${name}`, async () => {
          await expectRefused(
            await start([keys.EdDSA]),
            keys.EdDSA,
            'The token was not issued for this service.',
            options,
          );
        });
      }

      it('refuses a token that expired longer ago than the clock skew (30 s)', async () => {
        await expectRefused(await start([keys.EdDSA]), keys.EdDSA, 'The token has expired.', {
          exp: nowSeconds() - 45,
        });
      });

      it('accepts a token that expired within the clock skew', async () => {
        await expectAccepted(await start([keys.EdDSA]), keys.EdDSA, { exp: nowSeconds() - 10 });
      });

      it('refuses a token signed with a key the auth server does not publish', async () => {
        await expectRefused(await start([keys.EdDSA]), unpublished, UNKNOWN_KEY);
      });

      it("refuses a token that names a published key of another type than its algorithm's", async () => {
        // Signed with the ES256 key but naming the Ed25519 key: no key fits both, none is tried.
        await expectRefused(await start([keys.EdDSA, keys.ES256]), keys.ES256, UNKNOWN_KEY, { kid: keys.EdDSA.kid });
      });

      it('accepts a token without kid when exactly one published key fits its algorithm', async () => {
        await expectAccepted(await start([keys.EdDSA, keys.RS256]), keys.EdDSA, { kid: null });
      });

      it('refuses a token without kid when several published keys fit its algorithm', async () => {
        const setup = await start([keys.EdDSA, anotherEdDsaKey]);
        await expectRefused(
          setup,
          keys.EdDSA,
          'The token does not name its signing key (kid) and several keys could have signed it.',
          { kid: null },
        );
      });

      it('refuses, with a 401 and not a 500, a token naming a published key that cannot be imported', async () => {
        const kid = 'broken-key';
        const broken: SigningKey = { ...keys.EdDSA, kid, publicJwk: { ...keys.EdDSA.publicJwk, kid, x: 'AAAA' } };
        await expectRefused(
          await start([broken]),
          broken,
          'The token is malformed, badly signed or uses an algorithm that is not allowed.',
        );
      });

      it('refuses HS256 tokens when no secret is configured, even signed with the usual secret', async () => {
        const setup = await start([keys.EdDSA]);
        const sub = betterAuthUserId();
        const token = await signRaw(
          { sub, exp: nowSeconds() + 900, iss: AUTH_ORIGIN, aud: AUTH_ORIGIN },
          { secret: TEST_SECRET },
        );
        expectInvalidToken(await setup.listTasksOf(sub, token), token);
      });
    });

    describe('fetching the keys', () => {
      it('fetches once for concurrent first requests', async () => {
        const setup = await start([keys.EdDSA]);
        setup.jwks.behaviour = { kind: 'slow', delayMs: 200 };
        const responses = await Promise.all(Array.from({ length: 10 }, () => setup.listOwnTasks(keys.EdDSA)));
        expect(responses.map(({ response }) => response.status)).to.deep.equal(Array(10).fill(200));
        expect(setup.jwks.fetches).to.equal(1);
      });

      it('uses the fetched keys until they are older than the cache time, then fetches them again', async () => {
        const setup = await start([keys.EdDSA, keys.ES256], { jwksCacheSeconds: 0.5, jwksCooldownSeconds: 0 });
        await expectAccepted(setup, keys.EdDSA);
        await expectAccepted(setup, keys.EdDSA);
        expect(setup.jwks.fetches).to.equal(1);
        setup.jwks.withdraw(keys.ES256);
        await expectAccepted(setup, keys.ES256); // still cached
        await sleep(600);
        await expectRefused(setup, keys.ES256, UNKNOWN_KEY); // the fresh set no longer has it
        await expectAccepted(setup, keys.EdDSA);
        // One fetch when the keys grew old, one more for the withdrawn kid (no cooldown here).
        expect(setup.jwks.fetches).to.equal(3);
      });

      it('stops accepting a token signed with a withdrawn key within the cache time, however often it was accepted before', async () => {
        const CACHE_MS = 1000;
        const setup = await start([keys.EdDSA, keys.ES256], {
          jwksCacheSeconds: CACHE_MS / 1000,
          jwksCooldownSeconds: 0,
        });
        const sub = betterAuthUserId();
        const token = await signBetterAuthToken(keys.ES256, { sub }); // valid for 15 minutes
        for (let attempt = 0; attempt < 3; attempt++)
          expect((await setup.listTasksOf(sub, token)).status).to.equal(200);

        setup.jwks.withdraw(keys.ES256);
        // The keys this server holds were fetched before this instant, so their trust ends within CACHE_MS of it.
        const withdrawnAt = performance.now();
        let refused: ApiResponse | undefined;
        await pollUntil(
          async () => {
            const sentAt = performance.now();
            const response = await setup.listTasksOf(sub, token);
            if (response.status !== 200) refused = response;
            else expect(sentAt - withdrawnAt, 'accepted once the cache time had passed').to.be.below(CACHE_MS);
            return refused !== undefined;
          },
          'the token of the withdrawn key to be refused',
          { ms: IN_TEST_BOUND_MS },
        );
        expectInvalidToken(refused!, token);
        expect((refused!.body as Problem).detail).to.equal(UNKNOWN_KEY);
        await expectAccepted(setup, keys.EdDSA); // the key still published keeps working
      });

      it('accepts a key published after the last fetch (rotation), all concurrent requests sharing one refetch', async () => {
        const setup = await start([keys.EdDSA], { jwksCooldownSeconds: 0 });
        await expectAccepted(setup, keys.EdDSA);
        setup.jwks.publish(unpublished);
        setup.jwks.behaviour = { kind: 'slow', delayMs: 200 };
        const responses = await Promise.all(Array.from({ length: 10 }, () => setup.listOwnTasks(unpublished)));
        expect(responses.map(({ response }) => response.status)).to.deep.equal(Array(10).fill(200));
        expect(setup.jwks.fetches).to.equal(2);
      });

      it('refetches for unknown kids at most once per cooldown', async () => {
        const setup = await start([keys.EdDSA], { jwksCooldownSeconds: 1 });
        await expectAccepted(setup, keys.EdDSA);
        const strangers = await Promise.all(Array.from({ length: 5 }, () => generateSigningKey('EdDSA')));
        for (const stranger of strangers) await expectRefused(setup, stranger, UNKNOWN_KEY);
        expect(setup.jwks.fetches, 'no fetch within the cooldown').to.equal(1);

        setup.jwks.publish(unpublished);
        await expectRefused(setup, unpublished, UNKNOWN_KEY); // published, but still within the cooldown
        await sleep(1100);
        await expectAccepted(setup, unpublished);
        expect(setup.jwks.fetches, 'one fetch once the cooldown is over').to.equal(2);
        for (const stranger of strangers) await expectRefused(setup, stranger, UNKNOWN_KEY);
        expect(setup.jwks.fetches).to.equal(2);
      });

      it('counts failed fetches toward the cooldown, so a flood does not hammer an endpoint that is down', async () => {
        const setup = await start([keys.EdDSA], { jwksCooldownSeconds: 1 });
        setup.jwks.behaviour = { kind: 'fail' };
        const responses = await Promise.all(Array.from({ length: 20 }, () => setup.listOwnTasks(keys.EdDSA)));
        for (const { response, token } of responses) expectInvalidToken(response, token);
        expect(setup.jwks.fetches).to.equal(1);
      });
    });

    describe('when the JWKS endpoint is in trouble', () => {
      const TIMEOUT_MS = 500;
      /** Well under the timeout plus a second: nothing waits for the endpoint longer than the timeout. */
      const PROMPTLY_MS = TIMEOUT_MS + 1000;

      const troubles: { name: string; cause: (jwks: JwksServer) => Promise<void> | void; reason: RegExp }[] = [
        {
          name: 'refuses connections',
          cause: (jwks) => jwks.refuseConnections(),
          reason: /could not be reached \(ECONNREFUSED\)/,
        },
        {
          name: 'answers later than the timeout',
          cause: (jwks) => void (jwks.behaviour = { kind: 'slow', delayMs: 5000 }),
          reason: /did not answer within 500 ms/,
        },
        { name: 'answers 500', cause: (jwks) => void (jwks.behaviour = { kind: 'fail' }), reason: /answered HTTP 500/ },
        {
          name: 'answers malformed JSON',
          cause: (jwks) => void (jwks.behaviour = { kind: 'malformed' }),
          reason: /did not answer with JSON/,
        },
        {
          name: 'answers JSON that is not a key set',
          cause: (jwks) => void (jwks.behaviour = { kind: 'not-a-key-set' }),
          reason: /did not answer with a key set/,
        },
      ];

      for (const trouble of troubles) {
        it(`keeps accepting cached keys, also once they are old, and refuses others promptly, when the endpoint ${trouble.name}`, async () => {
          const setup = await start([keys.EdDSA], {
            jwksCacheSeconds: 0.5,
            jwksCooldownSeconds: 0,
            jwksTimeoutMs: TIMEOUT_MS,
          });
          await expectAccepted(setup, keys.EdDSA);
          setup.jwks.publish(unpublished); // would be fetched, were the endpoint working
          await trouble.cause(setup.jwks);

          await expectAccepted(setup, keys.EdDSA);
          const [, unknownMs] = await timed(() => expectRefused(setup, unpublished, UNKNOWN_KEY));
          expect(unknownMs, 'an uncached kid is refused promptly').to.be.below(PROMPTLY_MS);

          await sleep(600); // the cached keys are now older than the cache time
          const [, staleMs] = await timed(() => expectAccepted(setup, keys.EdDSA));
          expect(staleMs, 'an old key is used promptly').to.be.below(PROMPTLY_MS);
          await expectRefused(setup, unpublished, UNKNOWN_KEY);

          const warnings = setup.jwksWarnings();
          expect(warnings, 'each failed fetch is logged').not.to.be.empty;
          for (const warning of warnings) {
            expect(warning.level).to.equal(40); // warn
            expect(warning.reason).to.match(trouble.reason);
            expect(warning.jwks_url).to.equal(setup.jwks.url);
            expectNoLibraryMessage(JSON.stringify(warning), 'the log');
          }

          // Back to normal: the key published meanwhile is fetched and accepted.
          if (trouble.name === 'refuses connections') await setup.jwks.resume();
          setup.jwks.behaviour = { kind: 'serve' };
          await expectAccepted(setup, unpublished);
        });
      }

      it('answers 401, not 500, when the endpoint has never answered', async () => {
        const setup = await start([keys.EdDSA], { jwksTimeoutMs: TIMEOUT_MS });
        setup.jwks.behaviour = { kind: 'slow', delayMs: 5000 };
        const [, elapsedMs] = await timed(() => expectRefused(setup, keys.EdDSA, UNKNOWN_KEY));
        expect(elapsedMs).to.be.below(PROMPTLY_MS);
      });
    });

    describe('with both the shared secret and the JWKS', () => {
      const both = () => start([keys.EdDSA, keys.RS256], { secret: TEST_SECRET });

      it('accepts HS256 tokens signed with the secret and EdDSA tokens signed with a published key', async () => {
        const setup = await both();
        const sub = betterAuthUserId();
        expect(
          (await setup.listTasksOf(sub, await tokenFor(sub, { issuer: AUTH_ORIGIN, audience: AUTH_ORIGIN }))).status,
        ).to.equal(200);
        await expectAccepted(setup, keys.EdDSA);
      });

      /** Forms of a public key an attacker might try as an HMAC secret: the JWKS makes them all public. */
      const PUBLIC_KEY_FORMS: [string, (key: SigningKey) => Uint8Array][] = [
        ['raw bytes', (key) => Buffer.from(String(key.publicJwk.x ?? key.publicJwk.n), 'base64url')],
        ['JWK', (key) => new TextEncoder().encode(JSON.stringify(key.publicJwk))],
        [
          'PEM',
          (key) =>
            new TextEncoder().encode(
              createPublicKey({ key: { ...key.publicJwk }, format: 'jwk' })
                .export({ type: 'spki', format: 'pem' })
                .toString(),
            ),
        ],
      ];
      for (const alg of ['EdDSA', 'RS256'] as const) {
        for (const [form, bytesOf] of PUBLIC_KEY_FORMS) {
          it(`refuses an HS256 token whose HMAC key is the ${alg} public key's ${form}`, async () => {
            const setup = await both();
            const sub = betterAuthUserId();
            const claims = { sub, exp: nowSeconds() + 900, iss: AUTH_ORIGIN, aud: AUTH_ORIGIN };
            const token = await signRaw(claims, { secret: bytesOf(keys[alg]), header: { kid: keys[alg].kid } });
            expectInvalidToken(await setup.listTasksOf(sub, token), token);
          });
        }
      }

      it('refuses an unsigned token (alg: none) naming a published key', async () => {
        const setup = await both();
        const sub = betterAuthUserId();
        const token = unsignedToken(
          { sub, exp: nowSeconds() + 900, iss: AUTH_ORIGIN, aud: AUTH_ORIGIN },
          { kid: keys.EdDSA.kid },
        );
        expectInvalidToken(await setup.listTasksOf(sub, token), token);
      });
    });
  });
}
