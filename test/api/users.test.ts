import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/api-suite.js';
import { request, type ApiResponse } from '../helpers/api-client.js';
import { startTestServer } from '../helpers/test-server.js';
import { nowSeconds, signRaw, tokenFor } from '../helpers/tokens.js';
import type { components } from '../../generated/api.js';
import type { UserRow } from '../../src/users/users.store.js';

type User = components['schemas']['User'];

const newSubject = () => `user-${randomUUID()}`;

/** A token for `sub` with exactly these extra claims (no email or name unless given). */
const tokenWith = (sub: string, claims: Record<string, unknown> = {}) =>
  signRaw({ sub, iat: nowSeconds(), exp: nowSeconds() + 3600, ...claims });

/** Timestamps are stored with milliseconds: wait long enough for `now()` to move. */
const nextMillisecond = () => sleep(5);

describeEachDatabase('users: provisioned from the token', (suite) => {
  const me = (token: string) => request<User>(suite.server().baseUrl, 'GET', '/api/me', { token });
  const row = (id: string) => suite.database().knex<UserRow>('users').where({ id }).first();
  const xmin = async (id: string): Promise<string> => {
    const result = (await suite
      .database()
      .knex('users')
      .select(suite.database().knex.raw('xmin::text as xmin'))
      .where({ id })
      .first()) as { xmin: string } | undefined;
    expect(result, `users row ${id}`).to.not.equal(undefined);
    return result!.xmin;
  };

  describe('GET /api/me', () => {
    it("returns the user made from the token's sub, email and name on first sight", async () => {
      const sub = newSubject();
      expect(await row(sub), 'no row before the first request').to.equal(undefined);
      const response = await me(await tokenWith(sub, { email: 'ada@example.com', name: 'Ada Lovelace' }));
      expect(response.status).to.equal(200);
      expect(response.body).to.include({ id: sub, email: 'ada@example.com', name: 'Ada Lovelace' });
      expect(response.body.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(response.body.updated_at).to.equal(response.body.created_at);
      const stored = await row(sub);
      expect(stored).to.include({ id: sub, email: 'ada@example.com', name: 'Ada Lovelace' });
    });

    it('returns the claims signDevToken puts in its tokens', async () => {
      const sub = newSubject();
      const response = await me(await tokenFor(sub));
      expect(response.body).to.include({ id: sub, email: `${sub}@example.com`, name: sub });
    });

    it('provisions the user on any protected operation, not only /api/me', async () => {
      const sub = newSubject();
      const token = await tokenWith(sub, { email: 'grace@example.com', name: 'Grace' });
      const list = await request(suite.server().baseUrl, 'GET', `/api/${sub}/tasks`, { token });
      expect(list.status).to.equal(200);
      expect(await row(sub)).to.include({ email: 'grace@example.com', name: 'Grace' });
    });

    const withoutProfile: { name: string; claims: Record<string, unknown> }[] = [
      { name: 'no email or name claims', claims: {} },
      { name: 'empty email and name claims', claims: { email: '', name: '' } },
      { name: 'non-string email and name claims', claims: { email: 42, name: { first: 'Ada' } } },
      { name: 'null email and name claims', claims: { email: null, name: null } },
    ];
    for (const { name, claims } of withoutProfile) {
      it(`gives null email and name for a token with ${name}`, async () => {
        const sub = newSubject();
        const response = await me(await tokenWith(sub, claims));
        expect(response.status).to.equal(200);
        expect(response.body).to.include({ id: sub, email: null, name: null });
      });
    }
  });

  describe('keeping the user in step with the token', () => {
    it('updates email and name on the next request: updated_at moves, created_at stays', async () => {
      const sub = newSubject();
      const first = await me(await tokenWith(sub, { email: 'old@example.com', name: 'Old Name' }));
      await nextMillisecond();
      const second = await me(await tokenWith(sub, { email: 'new@example.com', name: 'New Name' }));
      expect(second.status).to.equal(200);
      expect(second.body).to.include({ id: sub, email: 'new@example.com', name: 'New Name' });
      expect(second.body.created_at).to.equal(first.body.created_at);
      expect(Date.parse(second.body.updated_at)).to.be.greaterThan(Date.parse(first.body.updated_at));
      expect(await row(sub)).to.include({ email: 'new@example.com', name: 'New Name' });
    });

    const changes: {
      name: string;
      before: Record<string, unknown>;
      after: Record<string, unknown>;
      expected: Partial<User>;
    }[] = [
      {
        name: 'only the email changes',
        before: { email: 'a@example.com', name: 'A' },
        after: { email: 'b@example.com', name: 'A' },
        expected: { email: 'b@example.com', name: 'A' },
      },
      {
        name: 'only the name changes',
        before: { email: 'a@example.com', name: 'A' },
        after: { email: 'a@example.com', name: 'B' },
        expected: { email: 'a@example.com', name: 'B' },
      },
      {
        name: 'the claims are dropped',
        before: { email: 'a@example.com', name: 'A' },
        after: {},
        expected: { email: null, name: null },
      },
      {
        name: 'the claims appear',
        before: {},
        after: { email: 'a@example.com', name: 'A' },
        expected: { email: 'a@example.com', name: 'A' },
      },
    ];
    for (const change of changes) {
      it(`follows the token when ${change.name}`, async () => {
        const sub = newSubject();
        const first = await me(await tokenWith(sub, change.before));
        await nextMillisecond();
        const second = await me(await tokenWith(sub, change.after));
        expect(second.body).to.include(change.expected);
        expect(second.body.created_at).to.equal(first.body.created_at);
        expect(Date.parse(second.body.updated_at)).to.be.greaterThan(Date.parse(first.body.updated_at));
      });
    }

    it('follows the token back and forth between two sets of claims', async () => {
      const sub = newSubject();
      const work = await tokenWith(sub, { email: 'ada@work.example', name: 'Ada' });
      const home = await tokenWith(sub, { email: 'ada@home.example', name: 'Ada' });
      for (const [token, email] of [
        [work, 'ada@work.example'],
        [home, 'ada@home.example'],
        [work, 'ada@work.example'],
      ] as const) {
        expect((await me(token)).body.email).to.equal(email);
        expect((await row(sub))?.email).to.equal(email);
      }
    });
  });

  describe('requests with unchanged claims', () => {
    it('do not write the users row (xmin stays the same)', async () => {
      const sub = newSubject();
      const token = await tokenWith(sub, { email: 'steady@example.com', name: 'Steady' });
      const first = await me(token);
      const before = await xmin(sub);
      const responses: ApiResponse<User>[] = [];
      for (let i = 0; i < 5; i++) responses.push(await me(token));
      for (const response of responses) expect(response.body).to.deep.equal(first.body);
      expect(await xmin(sub)).to.equal(before);
    });

    it('do not write it with fresh tokens carrying the same claims, on any operation', async () => {
      const sub = newSubject();
      const claims = { email: 'steady@example.com', name: 'Steady' };
      await me(await tokenWith(sub, claims));
      const before = await xmin(sub);
      for (let i = 0; i < 3; i++) {
        await nextMillisecond();
        const token = await tokenWith(sub, { ...claims, iat: nowSeconds(), jti: randomUUID() });
        expect((await me(token)).status).to.equal(200);
        expect((await request(suite.server().baseUrl, 'GET', `/api/${sub}/tasks`, { token })).status).to.equal(200);
      }
      expect(await xmin(sub)).to.equal(before);
    });

    it('do not write it from a second server that has not seen the user yet', async () => {
      const sub = newSubject();
      const token = await tokenWith(sub, { email: 'steady@example.com', name: 'Steady' });
      const first = await me(token);
      const before = await xmin(sub);
      const other = await startTestServer(suite.database().knex);
      try {
        for (let i = 0; i < 3; i++) {
          const response = await request<User>(other.baseUrl, 'GET', '/api/me', { token });
          expect(response.body).to.deep.equal(first.body);
        }
      } finally {
        await other.close();
      }
      expect(await xmin(sub)).to.equal(before);
    });

    it('do write it again once the claims change, and then stop', async () => {
      const sub = newSubject();
      await me(await tokenWith(sub, { email: 'one@example.com' }));
      const first = await xmin(sub);
      const changed = await tokenWith(sub, { email: 'two@example.com' });
      await me(changed);
      const second = await xmin(sub);
      expect(second, 'a change is written').to.not.equal(first);
      await me(changed);
      await me(changed);
      expect(await xmin(sub)).to.equal(second);
    });
  });
});
