import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/api-suite.js';
import type { components } from '../../generated/api.js';
import type { UserRow } from '../../src/users/users.store.js';
import {
  expectProblem,
  request,
  type ApiResponse,
  type Problem,
  type RequestOptions,
  type Task,
} from '../helpers/api-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectInvalidToken, nowSeconds, signRaw, tokenFor, unsignedToken, visibleText } from '../helpers/tokens.js';

/** A secret the test servers do not trust, long enough to be a plausible one. */
const OTHER_SECRET = 'another-secret-that-is-also-long-enough-9876543210';

type TaskList = components['schemas']['TaskList'];

const newSubject = () => `user-${randomUUID()}`;
const inAnHour = () => nowSeconds() + 3600;
const YEAR = 365 * 86_400;
/** A valid token's times: issued now, expiring an hour later. */
const validTimes = () => ({ iat: nowSeconds(), exp: inAnHour() });
/** The claims of a minimal valid token: a subject and its times. */
const minimalClaims = (sub: string) => ({ sub, ...validTimes() });

/** The protected operation the token cases are tried on. */
const tasksOf = (userId: string) => `/api/${encodeURIComponent(userId)}/tasks`;

/** A 401 for a request that sent no Bearer token: the plain challenge, no error code. */
function expectMissingToken(response: ApiResponse): void {
  expect(expectProblem(response, 401)).to.include({ title: 'Unauthorized' });
  expect(response.headers.get('www-authenticate')).to.equal('Bearer');
}

interface TokenCase {
  readonly name: string;
  /** The token, for a request to `subject`'s own tasks. */
  readonly token: (subject: string) => Promise<string> | string;
  /** What the `error_description` must say, when the case has its own words. */
  readonly description?: RegExp;
}

const INVALID_TOKENS: TokenCase[] = [
  { name: 'a garbage string', token: () => 'not-a-jwt-at-all' },
  { name: 'three dot-separated garbage parts', token: () => 'abc.def.ghi' },
  {
    name: 'a token signed with another secret',
    token: (sub) => signRaw({ sub, exp: inAnHour() }, { secret: OTHER_SECRET }),
  },
  {
    name: 'a token whose signature was tampered with',
    token: async (sub) => {
      const [header, payload] = (await tokenFor(sub)).split('.');
      return `${header}.${payload}.${Buffer.from('forged-signature').toString('base64url')}`;
    },
  },
  {
    name: 'a token whose claims were changed after signing',
    token: async (sub) => {
      const [header, , signature] = (await tokenFor(newSubject())).split('.');
      const payload = Buffer.from(JSON.stringify({ sub, exp: inAnHour() })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
  },
  { name: 'an expired token', token: (sub) => signRaw({ sub, exp: nowSeconds() - 2 }), description: /expired/ },
  {
    name: 'a token that expired an hour ago',
    token: (sub) => signRaw({ sub, exp: nowSeconds() - 3600 }),
    description: /expired/,
  },
  {
    name: 'a token that is not valid yet (nbf)',
    token: (sub) => signRaw({ sub, exp: inAnHour(), nbf: nowSeconds() + 600 }),
    description: /not valid yet/,
  },
  { name: 'an unsigned token (alg: none)', token: (sub) => unsignedToken({ sub, exp: inAnHour() }) },
  {
    name: 'an HS512 token signed with the right secret',
    token: (sub) => signRaw({ sub, exp: inAnHour() }, { alg: 'HS512' }),
  },
  {
    name: 'an HS384 token signed with the right secret',
    token: (sub) => signRaw({ sub, exp: inAnHour() }, { alg: 'HS384' }),
  },
  {
    name: 'a token that says EdDSA to a server that trusts only the secret',
    token: (sub) =>
      `${unsignedToken({ sub, exp: inAnHour() }, { alg: 'EdDSA' }).slice(0, -1)}.${Buffer.from('x'.repeat(64)).toString('base64url')}`,
  },
  {
    name: 'a token without sub',
    token: () => signRaw({ ...validTimes(), email: 'nobody@example.com' }),
    description: /sub/,
  },
  { name: 'a token with an empty sub', token: () => signRaw({ sub: '', ...validTimes() }), description: /sub/ },
  { name: 'a token with a numeric sub', token: () => signRaw({ sub: 42, ...validTimes() }), description: /sub/ },
  {
    name: 'a token with an object sub',
    token: () => signRaw({ sub: { id: 'alice' }, ...validTimes() }),
    description: /sub/,
  },
  {
    name: 'a token with a sub longer than 255 characters',
    token: () => signRaw({ sub: 'x'.repeat(256), ...validTimes() }),
  },
  { name: 'a token without exp', token: (sub) => signRaw({ sub }), description: /exp/ },
  {
    name: 'a token without iat (JWT_MAX_AGE_SECONDS bounds the lifetime)',
    token: (sub) => signRaw({ sub, exp: inAnHour() }),
    description: /The token must say when it was issued \(iat\)/,
  },
  {
    name: 'a token that lives 100 years',
    token: (sub) => signRaw({ sub, iat: nowSeconds(), exp: nowSeconds() + 100 * YEAR }),
    description:
      /valid for longer than the 86400 seconds this service accepts from its issue \(iat\) to its expiry \(exp\)/,
  },
  {
    name: 'a token that lives a second longer than a day',
    token: (sub) => signRaw({ sub, iat: nowSeconds() - 60, exp: nowSeconds() - 60 + 86_401 }),
    description: /valid for longer than the 86400 seconds/,
  },
  {
    name: 'a token issued ten years ahead',
    token: (sub) => signRaw({ sub, iat: nowSeconds() + 10 * YEAR, exp: nowSeconds() + 10 * YEAR + 600 }),
    description: /issued \(iat\) in the future/,
  },
  { name: 'a token with a non-numeric exp', token: (sub) => signRaw({ sub, exp: 'tomorrow' }) },
];

/** Every operation under `/api/{user_id}`, with a body the validator accepts, on `taskId`. */
function userOperations(taskId: number): { name: string; method: string; suffix: string; options: RequestOptions }[] {
  return [
    { name: 'listTasks', method: 'GET', suffix: '/tasks', options: {} },
    { name: 'createTask', method: 'POST', suffix: '/tasks', options: { json: { title: 'Not yours' } } },
    { name: 'getTask', method: 'GET', suffix: `/tasks/${taskId}`, options: {} },
    {
      name: 'replaceTask',
      method: 'PUT',
      suffix: `/tasks/${taskId}`,
      options: { json: { title: 'Not yours', description: null, completed: true } },
    },
    { name: 'updateTask', method: 'PATCH', suffix: `/tasks/${taskId}`, options: { json: { title: 'Not yours' } } },
    { name: 'deleteTask', method: 'DELETE', suffix: `/tasks/${taskId}`, options: {} },
    {
      name: 'completeTask',
      method: 'PATCH',
      suffix: `/tasks/${taskId}/complete`,
      options: { json: { completed: true } },
    },
    { name: 'moveTask', method: 'POST', suffix: `/tasks/${taskId}/move`, options: { json: {} } },
    { name: 'restoreTask', method: 'POST', suffix: `/tasks/${taskId}/restore`, options: {} },
    { name: 'listTrash', method: 'GET', suffix: '/trash', options: {} },
    { name: 'purgeTask', method: 'DELETE', suffix: `/trash/${taskId}`, options: {} },
    { name: 'emptyTrash', method: 'POST', suffix: '/trash/empty', options: {} },
    { name: 'listChanges', method: 'GET', suffix: '/changes', options: {} },
    // Refused before it streams: answered as any other request.
    { name: 'streamEvents', method: 'GET', suffix: '/events', options: {} },
    // The task's id as a list's: the answer comes before anything is looked up.
    { name: 'listLists', method: 'GET', suffix: '/lists', options: {} },
    { name: 'createList', method: 'POST', suffix: '/lists', options: { json: { name: 'Not yours' } } },
    { name: 'getList', method: 'GET', suffix: `/lists/${taskId}`, options: {} },
    {
      name: 'updateList',
      method: 'PATCH',
      suffix: `/lists/${taskId}`,
      options: { json: { name: 'Not yours' }, contentType: 'application/merge-patch+json' },
    },
    { name: 'deleteList', method: 'DELETE', suffix: `/lists/${taskId}`, options: {} },
    { name: 'moveList', method: 'POST', suffix: `/lists/${taskId}/move`, options: { json: {} } },
    // The task's id as a webhook's and a delivery's, likewise.
    { name: 'listWebhooks', method: 'GET', suffix: '/webhooks', options: {} },
    {
      name: 'createWebhook',
      method: 'POST',
      suffix: '/webhooks',
      options: { json: { url: 'https://hooks.example.com/in', event_types: ['task.created'] } },
    },
    { name: 'getWebhook', method: 'GET', suffix: `/webhooks/${taskId}`, options: {} },
    {
      name: 'updateWebhook',
      method: 'PATCH',
      suffix: `/webhooks/${taskId}`,
      options: { json: { enabled: false }, contentType: 'application/merge-patch+json' },
    },
    { name: 'deleteWebhook', method: 'DELETE', suffix: `/webhooks/${taskId}`, options: {} },
    { name: 'listWebhookDeliveries', method: 'GET', suffix: `/webhooks/${taskId}/deliveries`, options: {} },
    {
      name: 'retryWebhookDelivery',
      method: 'POST',
      suffix: `/webhooks/${taskId}/deliveries/${taskId}/retry`,
      options: {},
    },
  ];
}

const OPERATION_NAMES = userOperations(1).map((operation) => operation.name);

describeEachDatabase('auth: Bearer tokens', (suite) => {
  const get = (path: string, options: RequestOptions = {}) => request(suite.server().baseUrl, 'GET', path, options);

  describe('a valid token (control)', () => {
    it('lets the token from signDevToken list its own tasks', async () => {
      const sub = newSubject();
      const response = await get(tasksOf(sub), { token: await tokenFor(sub) });
      expect(response.status).to.equal(200);
    });

    it('lets a minimal HS256 token with only sub, iat and exp through', async () => {
      const sub = newSubject();
      const response = await get(tasksOf(sub), { token: await signRaw(minimalClaims(sub)) });
      expect(response.status).to.equal(200);
    });

    it('accepts the scheme name in any case ("bearer")', async () => {
      const sub = newSubject();
      const response = await get(tasksOf(sub), { headers: { authorization: `bearer ${await tokenFor(sub)}` } });
      expect(response.status).to.equal(200);
    });
  });

  describe('without a Bearer token', () => {
    it('answers 401 with exactly "WWW-Authenticate: Bearer" when no Authorization header is sent', async () => {
      expectMissingToken(await get(tasksOf(newSubject())));
    });

    it('answers 401 with the plain Bearer challenge for another scheme (Basic)', async () => {
      const response = await get(tasksOf(newSubject()), { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expectMissingToken(response);
      expect(visibleText(response)).not.to.include('dXNlcjpwYXNz');
    });

    it('answers 401 on every protected operation, /api/me included', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask();
      const operations = [
        ...userOperations(task.id).map((operation) => ({ ...operation, path: `/api/${alice.id}${operation.suffix}` })),
        { name: 'getCurrentUser', method: 'GET', path: '/api/me', options: {} },
      ];
      for (const operation of operations) {
        const response = await request(suite.server().baseUrl, operation.method, operation.path, operation.options);
        expect(response.status, operation.name).to.equal(401);
        expect(response.headers.get('www-authenticate'), operation.name).to.equal('Bearer');
      }
      expect((await alice.call('GET', `/tasks/${task.id}`)).body, 'the task is untouched').to.deep.equal(task);
    });
  });

  describe('with an invalid token', () => {
    for (const tokenCase of INVALID_TOKENS) {
      it(`refuses ${tokenCase.name}: 401 invalid_token, in our own words`, async () => {
        const sub = newSubject();
        const token = await tokenCase.token(sub);
        const response = await get(tasksOf(sub), { token });
        expectInvalidToken(response, token);
        if (tokenCase.description) {
          expect(response.headers.get('www-authenticate')).to.match(tokenCase.description);
          expect((response.body as Problem).detail).to.match(tokenCase.description);
        }
      });
    }

    it('refuses an invalid token on /api/me too', async () => {
      const token = await signRaw({ sub: newSubject(), exp: inAnHour() }, { secret: OTHER_SECRET });
      expectInvalidToken(await get('/api/me', { token }), token);
    });

    it('does not provision a user from a refused token', async () => {
      const sub = newSubject();
      const token = await signRaw({ sub, exp: inAnHour(), email: 'mallory@example.com' }, { secret: OTHER_SECRET });
      expectInvalidToken(await get('/api/me', { token }), token);
      const row = await suite.database().knex<UserRow>('users').where({ id: sub }).first();
      expect(row).to.equal(undefined);
    });
  });

  describe('with a server that checks issuer and audience', () => {
    const issuer = 'https://auth.example';
    const audience = 'https://api.example';
    let server: TestServer | undefined;

    before(async () => {
      server = await startTestServer(suite.database().knex, { auth: { issuer, audience } });
    });
    after(async () => server?.close());

    const getOwnTasks = (sub: string, token: string) => request(server!.baseUrl, 'GET', tasksOf(sub), { token });

    const accepted: { name: string; claims: Record<string, unknown> }[] = [
      { name: 'the right iss and aud', claims: { iss: issuer, aud: audience } },
      {
        name: 'the right iss and an aud list that includes this service',
        claims: { iss: issuer, aud: ['https://other.example', audience] },
      },
    ];
    for (const { name, claims } of accepted) {
      it(`accepts a token with ${name}`, async () => {
        const sub = newSubject();
        const response = await getOwnTasks(sub, await signRaw({ ...minimalClaims(sub), ...claims }));
        expect(response.status).to.equal(200);
      });
    }

    it('accepts the token signDevToken makes with issuer and audience', async () => {
      const sub = newSubject();
      expect((await getOwnTasks(sub, await tokenFor(sub, { issuer, audience }))).status).to.equal(200);
    });

    const refused: { name: string; claims: Record<string, unknown> }[] = [
      { name: 'a wrong iss', claims: { iss: 'https://evil.example', aud: audience } },
      { name: 'no iss', claims: { aud: audience } },
      { name: 'a wrong aud', claims: { iss: issuer, aud: 'https://other.example' } },
      { name: 'no aud', claims: { iss: issuer } },
      { name: 'neither iss nor aud', claims: {} },
    ];
    for (const { name, claims } of refused) {
      it(`refuses a token with ${name}: 401 invalid_token`, async () => {
        const sub = newSubject();
        const token = await signRaw({ ...minimalClaims(sub), ...claims });
        const response = await getOwnTasks(sub, token);
        expectInvalidToken(response, token);
        expect((response.body as Problem).detail).to.equal('The token was not issued for this service.');
      });
    }
  });

  describe('with the token lifetime unbounded (JWT_MAX_AGE_SECONDS=0)', () => {
    let server: TestServer | undefined;

    before(async () => {
      server = await startTestServer(suite.database().knex, { auth: { maxAgeSeconds: 0 } });
    });
    after(async () => server?.close());

    const getOwnTasks = (sub: string, token: string) => request(server!.baseUrl, 'GET', tasksOf(sub), { token });

    it('accepts a long-lived token, and one without iat', async () => {
      for (const claims of [{ iat: nowSeconds(), exp: nowSeconds() + 100 * YEAR }, { exp: inAnHour() }]) {
        const sub = newSubject();
        expect((await getOwnTasks(sub, await signRaw({ sub, ...claims }))).status, JSON.stringify(claims)).to.equal(
          200,
        );
      }
    });

    it('still refuses an iat in the future', async () => {
      const sub = newSubject();
      const token = await signRaw({ sub, iat: nowSeconds() + 10 * YEAR, exp: nowSeconds() + 10 * YEAR + 600 });
      const response = await getOwnTasks(sub, token);
      expectInvalidToken(response, token);
      expect((response.body as Problem).detail).to.equal('The token says it was issued (iat) in the future.');
    });
  });

  describe("403 when the path's user_id is not the token's sub", () => {
    for (const name of OPERATION_NAMES) {
      it(`answers 403 to ${name} on another user's path`, async () => {
        const alice = suite.newUser();
        const mallory = suite.newUser();
        const task = await alice.createTask({ description: 'private' });
        const operation = userOperations(task.id).find((candidate) => candidate.name === name)!;
        const response = await mallory.call(operation.method, `/api/${alice.id}${operation.suffix}`, operation.options);
        expect(response.status).to.equal(403);
        expect(response.body).to.include({ title: 'Forbidden', status: 403 });
        expect((response.body as Problem).detail).to.equal("The token does not grant access to this user's resources.");
        expect((await alice.call('GET', `/tasks/${task.id}`)).body, 'the task is untouched').to.deep.equal(task);
      });
    }

    it('answers 403, not 404, for a path user that does not exist', async () => {
      const mallory = suite.newUser();
      for (const operation of userOperations(1)) {
        const response = await mallory.call(
          operation.method,
          `/api/${newSubject()}${operation.suffix}`,
          operation.options,
        );
        expect(response.status, operation.name).to.equal(403);
      }
    });

    it('compares user ids exactly: a sub that differs only in case is another user', async () => {
      const alice = suite.newUser();
      const response = await alice.call('GET', `/api/${alice.id.toUpperCase()}/tasks`);
      expect(response.status).to.equal(403);
    });

    it('lets a sub with characters that need percent-encoding reach its own path', async () => {
      const sub = `google-oauth2|${randomUUID()} @x`;
      const token = await tokenFor(sub);
      const created = await request<Task>(suite.server().baseUrl, 'POST', tasksOf(sub), {
        token,
        json: { title: 'Mine' },
      });
      expect(created.status).to.equal(201);
      expect(created.body.user_id).to.equal(sub);
      const listed = await get(tasksOf(sub), { token });
      expect(listed.status).to.equal(200);
      expect((listed.body as TaskList).items.map((task: { id: number }) => task.id)).to.deep.equal([created.body.id]);
    });
  });

  describe('public operations', () => {
    for (const [path, status] of [
      ['/health', 'ok'],
      ['/ready', 'ready'],
    ] as const) {
      it(`GET ${path} answers 200 without a token`, async () => {
        const response = await get(path);
        expect(response.status).to.equal(200);
        expect(response.body).to.deep.equal({ status });
        expect(response.headers.has('www-authenticate')).to.equal(false);
      });

      it(`GET ${path} ignores an invalid token`, async () => {
        const response = await get(path, { token: 'not-a-jwt-at-all' });
        expect(response.status).to.equal(200);
      });
    }
  });
});
