import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, TestUser, type ApiResponse } from '../helpers/api-client.js';
import { answer, keyed, newKey } from '../helpers/idempotency-keys.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

// Issue 17: the webhooks operations and the deliveries the events make, without the job engine
// (test/api/webhook-deliveries.test.ts runs them).

type Webhook = components['schemas']['Webhook'];
type WebhookCollection = components['schemas']['WebhookCollection'];
type DeliveryPage = components['schemas']['WebhookDeliveryPage'];
type Delivery = components['schemas']['WebhookDelivery'];

const HOOK = { url: 'https://hooks.example.com/todo', event_types: ['task.created'] };

async function createWebhook(user: TestUser, fields: Record<string, unknown> = {}): Promise<Webhook> {
  const response = await user.call<Webhook>('POST', '/webhooks', { json: { ...HOOK, ...fields } });
  expect(response.status, JSON.stringify(response.body)).to.equal(201);
  return response.body;
}

async function getWebhook(user: TestUser, id: number): Promise<ApiResponse<Webhook>> {
  return user.call<Webhook>('GET', `/webhooks/${id}`);
}

async function deliveriesOf(user: TestUser, id: number, query = ''): Promise<Delivery[]> {
  const response = await user.call<DeliveryPage>('GET', `/webhooks/${id}/deliveries${query}`);
  expect(response.status, JSON.stringify(response.body)).to.equal(200);
  return response.body.items;
}

/** The user's webhook rows as stored, past the API. */
function storedWebhooks(suite: ApiSuite, user: TestUser): Promise<Record<string, unknown>[]> {
  return suite.database().knex('webhooks').where('user_id', user.id).orderBy('id');
}

/** The secret without the webhook, and the webhook without the secret. */
function splitSecret(created: Webhook): { secret: string; webhook: Webhook } {
  const { secret, ...webhook } = created;
  expect(secret).to.be.a('string');
  return { secret: secret!, webhook };
}

/** A 400 whose only problem is at /url with this message. */
/** The URL's pattern, in the spec's words (its x-rule). */
const URL_RULE =
  'must be an https:// URL (http:// only on a server that allows it), without white space, control characters, byte order marks (U+FEFF) or unpaired surrogates';

function expectUrlRefused(response: ApiResponse, message: string): void {
  const problem = expectProblem(response, 400);
  expect(problem.errors).to.deep.equal([{ location: 'body', pointer: '/url', message }]);
}

describeEachDatabase('webhooks: each operation', (suite) => {
  describe('createWebhook', () => {
    it('creates an enabled webhook with a Location, an ETag, and a Standard Webhooks secret shown this once', async () => {
      const alice = suite.newUser();
      const response = await alice.call<Webhook>('POST', '/webhooks', {
        json: { ...HOOK, event_types: ['task.created', 'list.deleted'], description: 'The bot' },
      });
      expect(response.status).to.equal(201);
      const { secret, webhook } = splitSecret(response.body);
      expect(webhook).to.include({
        user_id: alice.id,
        url: HOOK.url,
        description: 'The bot',
        enabled: true,
        disabled_reason: null,
      });
      expect(webhook.event_types).to.deep.equal(['task.created', 'list.deleted']);
      expect(webhook.created_at).to.equal(webhook.updated_at);
      expect(secret).to.match(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64').length).to.be.at.least(24);
      expect(response.headers.get('location')).to.equal(`/api/${alice.id}/webhooks/${webhook.id}`);

      const read = await getWebhook(alice, webhook.id);
      expect(read.body, 'no other answer shows the secret').to.deep.equal(webhook);
      expect(read.headers.get('etag')).to.equal(response.headers.get('etag'));
      expect((await alice.call<WebhookCollection>('GET', '/webhooks')).body.items).to.deep.equal([webhook]);
      expect(await createWebhook(alice)).to.include({ description: null });
    });

    it('gives every webhook a secret of its own, and writes no secret to the log', async () => {
      const alice = suite.newUser();
      const secrets = [await createWebhook(alice), await createWebhook(alice)].map((hook) => hook.secret);
      expect(new Set(secrets).size).to.equal(2);
      const logs = JSON.stringify(suite.server().logs);
      for (const secret of secrets) expect(logs).not.to.include(secret!.slice('whsec_'.length));
      const audited = suite
        .server()
        .logs.filter((line) => (line.audit as { user_id?: string } | undefined)?.user_id === alice.id);
      expect(audited.map((line) => (line.audit as { action: string }).action)).to.deep.equal([
        'webhook.create',
        'webhook.create',
      ]);
    });

    for (const [url, message] of [
      ['http://hooks.example.com/todo', 'must be an https:// URL'],
      ['https://user:password@hooks.example.com/todo', 'must not contain a user name or password'],
      ['https://token@hooks.example.com/todo', 'must not contain a user name or password'],
      ['https://127.0.0.1/todo', 'must not name a loopback, private or otherwise non-public address'],
      ['https://10.1.2.3:8443/todo', 'must not name a loopback, private or otherwise non-public address'],
      ['https://169.254.169.254/latest/meta-data', 'must not name a loopback, private or otherwise non-public address'],
      ['https://[::1]/todo', 'must not name a loopback, private or otherwise non-public address'],
      ['https://[fd00::7]/todo', 'must not name a loopback, private or otherwise non-public address'],
      ['https://[::ffff:192.168.0.1]/todo', 'must not name a loopback, private or otherwise non-public address'],
      ['https://0x7f.1/todo', 'must not name a loopback, private or otherwise non-public address'],
      ['https://localhost/todo', 'must not name a loopback, private or otherwise non-public address'],
      ['https://api.localhost./todo', 'must not name a loopback, private or otherwise non-public address'],
      ['https://exa mple.com/todo', URL_RULE],
      // PostgreSQL's text cannot hold a NUL: refused by the contract, never a 500.
      ['https://hooks.example.com/#\u0000', URL_RULE],
      ['https://hooks.example.com/\u0007bell', URL_RULE],
      ['https://hooks.example.com/\ud800', URL_RULE],
      ['https://[nope]/todo', 'is not a valid URL'],
    ] as const) {
      it(`refuses ${url} with a 400 at /url, writing nothing`, async () => {
        const alice = suite.newUser();
        expectUrlRefused(await alice.call('POST', '/webhooks', { json: { ...HOOK, url } }), message);
        expect(await storedWebhooks(suite, alice)).to.deep.equal([]);
      });
    }

    it('refuses no event types, unknown or repeated ones, and server-owned fields, with 400', async () => {
      const alice = suite.newUser();
      for (const [fields, pointer] of [
        [{ event_types: [] }, '/event_types'],
        [{ event_types: ['task.exploded'] }, '/event_types/0'],
        [{ event_types: ['task.created', 'task.created'] }, '/event_types'],
        [{ enabled: false }, '/enabled'],
        [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw9zSa3fVyVqM=' }, '/secret'],
      ] as const) {
        const problem = expectProblem(await alice.call('POST', '/webhooks', { json: { ...HOOK, ...fields } }), 400);
        expect(problem.errors?.map((issue) => issue.pointer)).to.deep.equal([pointer]);
      }
      expect(await storedWebhooks(suite, alice)).to.deep.equal([]);
    });

    it('answers a replay with its Idempotency-Key exactly as the first time, secret included, and creates one', async () => {
      const alice = suite.newUser();
      const key = newKey();
      const first = await alice.call<Webhook>('POST', '/webhooks', { json: HOOK, headers: keyed(key) });
      const replay = await alice.call<Webhook>('POST', '/webhooks', { json: HOOK, headers: keyed(key) });
      expect(first.status).to.equal(201);
      expect(answer(replay)).to.deep.equal(answer(first));
      expect(await storedWebhooks(suite, alice)).to.have.length(1);
      const reused = await alice.call('POST', '/webhooks', {
        json: { ...HOOK, description: 'x' },
        headers: keyed(key),
      });
      expectProblem(reused, 422);
    });
  });

  describe('listWebhooks and getWebhook', () => {
    it('lists the oldest first with an ETag over the answer: 304 until a webhook changes', async () => {
      const alice = suite.newUser();
      expect((await alice.call<WebhookCollection>('GET', '/webhooks')).body).to.deep.equal({ items: [] });
      const a = splitSecret(await createWebhook(alice)).webhook;
      const b = splitSecret(await createWebhook(alice, { event_types: ['list.created'] })).webhook;
      const response = await alice.call<WebhookCollection>('GET', '/webhooks');
      expect(response.body.items).to.deep.equal([a, b]);
      const etag = response.headers.get('etag')!;
      const unchanged = await alice.call('GET', '/webhooks', { headers: { 'If-None-Match': etag } });
      expect(unchanged.status).to.equal(304);
      expect(unchanged.headers.get('etag')).to.equal(etag);
      await alice.call('PATCH', `/webhooks/${a.id}`, { json: { description: 'changed' } });
      const changed = await alice.call('GET', '/webhooks', { headers: { 'If-None-Match': etag } });
      expect(changed.status).to.equal(200);
      expect(changed.headers.get('etag')).not.to.equal(etag);
    });

    it("answers 304 to getWebhook while it is unchanged, and 404 for a missing or another user's webhook", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const hook = await createWebhook(alice);
      const etag = (await getWebhook(alice, hook.id)).headers.get('etag')!;
      expect((await alice.call('GET', `/webhooks/${hook.id}`, { headers: { 'If-None-Match': etag } })).status).to.equal(
        304,
      );
      const theirs = expectProblem(await bob.call('GET', `/webhooks/${hook.id}`), 404);
      expect(theirs.detail).to.equal(`Webhook ${hook.id} was not found.`);
      const missing = expectProblem(await bob.call('GET', '/webhooks/987654321'), 404);
      expect(missing.detail).to.equal('Webhook 987654321 was not found.');
      expectProblem(await bob.call('GET', `/api/${alice.id}/webhooks`), 403);
    });
  });

  describe('updateWebhook', () => {
    it('refuses a URL with a NUL character with a 400 at /url, changing nothing', async () => {
      const alice = suite.newUser();
      const { webhook } = splitSecret(await createWebhook(alice));
      const refused = await alice.call('PATCH', `/webhooks/${webhook.id}`, {
        json: { url: 'https://hooks.example.com/#\u0000', enabled: false },
        contentType: 'application/merge-patch+json',
      });
      expectUrlRefused(refused, URL_RULE);
      expect((await alice.call<Webhook>('GET', `/webhooks/${webhook.id}`)).body).to.deep.equal(webhook);
    });

    it('changes only what the patch names; an empty patch, or the same values, change nothing', async () => {
      const alice = suite.newUser();
      const { webhook } = splitSecret(await createWebhook(alice, { description: 'old' }));
      const path = `/webhooks/${webhook.id}`;
      const same = await alice.call<Webhook>('PATCH', path, { json: { url: webhook.url, description: 'old' } });
      expect(same.body).to.deep.equal(webhook);
      expect((await alice.call<Webhook>('PATCH', path, { json: {} })).body).to.deep.equal(webhook);
      const changed = await alice.call<Webhook>('PATCH', path, {
        json: {
          url: 'https://other.example.com/in',
          event_types: ['task.completed', 'task.reopened'],
          description: null,
        },
        contentType: 'application/merge-patch+json',
      });
      expect(changed.status).to.equal(200);
      expect(changed.body).to.include({ url: 'https://other.example.com/in', description: null, enabled: true });
      expect(changed.body.event_types).to.deep.equal(['task.completed', 'task.reopened']);
      expect(changed.body).not.to.have.property('secret');
      expect(changed.body.updated_at > webhook.updated_at).to.equal(true);
      expect(changed.headers.get('etag')).to.equal((await getWebhook(alice, webhook.id)).headers.get('etag'));
      expectUrlRefused(
        await alice.call('PATCH', path, { json: { url: 'https://192.168.1.1/' } }),
        'must not name a loopback, private or otherwise non-public address',
      );
      expect(
        expectProblem(await alice.call('PATCH', path, { json: { enabled: null } }), 400).errors?.[0]?.pointer,
      ).to.equal('/enabled');
    });

    it('rotates the secret on request, showing the new one in that answer only', async () => {
      const alice = suite.newUser();
      const { secret, webhook } = splitSecret(await createWebhook(alice));
      const path = `/webhooks/${webhook.id}`;
      expect((await alice.call<Webhook>('PATCH', path, { json: { rotate_secret: false } })).body).to.deep.equal(
        webhook,
      );
      const rotated = await alice.call<Webhook>('PATCH', path, { json: { rotate_secret: true } });
      expect(rotated.status).to.equal(200);
      expect(rotated.body.secret)
        .to.match(/^whsec_/)
        .and.not.equal(secret);
      const [row] = await storedWebhooks(suite, alice);
      expect(row!.secret).to.equal(rotated.body.secret);
      expect((await getWebhook(alice, webhook.id)).body).not.to.have.property('secret');
    });

    it('disables on request, failing the pending deliveries, and enables again', async () => {
      const alice = suite.newUser();
      const hook = await createWebhook(alice);
      await alice.createTask({ title: 'Delivered later' });
      const [pending] = await deliveriesOf(alice, hook.id);
      expect(pending).to.include({ status: 'pending', attempts: 0, last_error: null });

      const disabled = await alice.call<Webhook>('PATCH', `/webhooks/${hook.id}`, { json: { enabled: false } });
      expect(disabled.body).to.include({ enabled: false, disabled_reason: 'requested' });
      expect((await deliveriesOf(alice, hook.id))[0]).to.include({
        id: pending!.id,
        status: 'failed',
        last_error: 'webhook_disabled',
        next_attempt_at: null,
      });
      await alice.createTask({ title: 'Not delivered' });
      expect(await deliveriesOf(alice, hook.id), 'a disabled webhook gets no delivery').to.have.length(1);

      const enabled = await alice.call<Webhook>('PATCH', `/webhooks/${hook.id}`, { json: { enabled: true } });
      expect(enabled.body).to.include({ enabled: true, disabled_reason: null });
      await alice.createTask({ title: 'Delivered again' });
      expect((await deliveriesOf(alice, hook.id)).map((delivery) => delivery.status)).to.deep.equal([
        'pending',
        'failed',
      ]);
    });

    it("writes only if If-Match holds (412 otherwise), and answers 404 for another user's webhook", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const hook = await createWebhook(alice);
      const path = `/webhooks/${hook.id}`;
      const etag = (await getWebhook(alice, hook.id)).headers.get('etag')!;
      const stale = await alice.call('PATCH', path, { json: { description: 'x' }, headers: { 'If-Match': '"stale"' } });
      expectProblem(stale, 412);
      const fresh = await alice.call<Webhook>('PATCH', path, {
        json: { description: 'x' },
        headers: { 'If-Match': etag },
      });
      expect(fresh.status).to.equal(200);
      expectProblem(await alice.call('DELETE', path, { headers: { 'If-Match': etag } }), 412);
      expectProblem(await bob.call('PATCH', `/webhooks/${hook.id}`, { json: { enabled: false } }), 404);
      expect((await getWebhook(alice, hook.id)).body).to.include({ enabled: true, description: 'x' });
    });
  });

  describe('deleteWebhook', () => {
    it('deletes the webhook with its deliveries; then 404', async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const hook = await createWebhook(alice);
      await alice.createTask();
      expectProblem(await bob.call('DELETE', `/webhooks/${hook.id}`), 404);
      expect((await alice.call('DELETE', `/webhooks/${hook.id}`)).status).to.equal(204);
      expectProblem(await getWebhook(alice, hook.id), 404);
      expectProblem(await alice.call('DELETE', `/webhooks/${hook.id}`), 404);
      expect(await suite.database().knex('webhook_deliveries').where('webhook_id', hook.id)).to.deep.equal([]);
    });
  });

  describe('the deliveries the events make', () => {
    it("makes one per event of a wanted type, in the event's transaction, for the user's own webhooks only", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const tasks = await createWebhook(alice, { event_types: ['task.created', 'task.completed'] });
      const lists = await createWebhook(alice, { event_types: ['list.created'] });
      const bobs = await createWebhook(bob, { event_types: ['task.created'] });
      const task = await alice.createTask({ title: 'One' });
      await alice.call('PATCH', `/tasks/${task.id}/complete`, { json: { completed: true } });
      await alice.call('PATCH', `/tasks/${task.id}`, { json: { title: 'Renamed' } });
      await alice.call('POST', '/lists', { json: { name: 'Errands' } });
      // A write that fails leaves no event, so no delivery.
      expectProblem(await alice.call('POST', '/tasks', { json: { title: 'x', list_id: 987654321 } }), 409);

      const events = await suite
        .database()
        .knex('events')
        .select<{ seq: number; type: string }[]>('seq', 'type')
        .where('user_id', alice.id)
        .whereIn('type', ['task.created', 'task.completed', 'list.created'])
        .orderBy('seq', 'desc');
      const delivered = await deliveriesOf(alice, tasks.id);
      expect(delivered.map((delivery) => [delivery.event_id, delivery.event_type])).to.deep.equal(
        events.filter((event) => event.type !== 'list.created').map((event) => [String(event.seq), event.type]),
      );
      for (const delivery of delivered) {
        expect(delivery).to.include({
          status: 'pending',
          attempts: 0,
          last_attempt_at: null,
          last_response_code: null,
        });
        expect(delivery.next_attempt_at).to.be.a('string');
      }
      // The default list, made with the first task, and Errands.
      expect((await deliveriesOf(alice, lists.id)).map((delivery) => delivery.event_id)).to.deep.equal(
        events.filter((event) => event.type === 'list.created').map((event) => String(event.seq)),
      );
      expect(await deliveriesOf(bob, bobs.id)).to.deep.equal([]);
      expectProblem(await bob.call('GET', `/webhooks/${tasks.id}/deliveries`), 404);
    });

    it('pages the newest first by an opaque cursor, and refuses a cursor it did not issue', async () => {
      const alice = suite.newUser();
      const hook = await createWebhook(alice);
      for (let made = 0; made < 5; made += 1) await alice.createTask({ title: `Task ${made}` });
      const all = await deliveriesOf(alice, hook.id);
      expect(all).to.have.length(5);
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page: ApiResponse<DeliveryPage> = await alice.call<DeliveryPage>(
          'GET',
          `/webhooks/${hook.id}/deliveries${query}`,
        );
        seen.push(...page.body.items.map((delivery) => delivery.id));
        cursor = page.body.next_cursor;
      } while (cursor !== null);
      expect(seen).to.deep.equal(all.map((delivery) => delivery.id));
      expect([...seen].sort((a, b) => b - a)).to.deep.equal(seen);
      const refused = expectProblem(await alice.call('GET', `/webhooks/${hook.id}/deliveries?cursor=garbage`), 400);
      expect(refused.errors).to.deep.equal([
        { location: 'query', pointer: '/cursor', message: 'is not a cursor this API issued' },
      ]);
    });
  });

  describe('retryWebhookDelivery', () => {
    it('refuses a pending delivery and a disabled webhook with 409; sends a failed one again, pending and due now', async () => {
      const alice = suite.newUser();
      const hook = await createWebhook(alice);
      await alice.createTask();
      const [delivery] = await deliveriesOf(alice, hook.id);
      const retry = `/webhooks/${hook.id}/deliveries/${delivery!.id}/retry`;

      const pending = expectProblem(await alice.call('POST', retry), 409);
      expect(pending.detail).to.match(
        new RegExp(`^Delivery ${delivery!.id} is still pending; its next attempt is due at `),
      );
      await alice.call('PATCH', `/webhooks/${hook.id}`, { json: { enabled: false } });
      const disabled = expectProblem(await alice.call('POST', retry), 409);
      expect(disabled.detail).to.equal(
        `Webhook ${hook.id} is disabled; enable it (updateWebhook with enabled true) before sending its deliveries again.`,
      );
      await alice.call('PATCH', `/webhooks/${hook.id}`, { json: { enabled: true } });
      const before = Date.now();
      const sent = await alice.call<Delivery>('POST', retry);
      expect(sent.status).to.equal(202);
      expect(sent.body).to.include({
        id: delivery!.id,
        status: 'pending',
        attempts: 0,
        last_error: 'webhook_disabled',
      });
      expect(Date.parse(sent.body.next_attempt_at!)).to.be.within(before - 5_000, Date.now() + 5_000);
      expect((await deliveriesOf(alice, hook.id))[0]).to.deep.equal(sent.body);
    });

    it("answers 404 for a missing delivery, another webhook's, and another user's", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const hook = await createWebhook(alice);
      const other = await createWebhook(alice, { event_types: ['task.deleted'] });
      await alice.createTask();
      const [delivery] = await deliveriesOf(alice, hook.id);
      const missing = expectProblem(await alice.call('POST', `/webhooks/${hook.id}/deliveries/987654321/retry`), 404);
      expect(missing.detail).to.equal(`Delivery 987654321 of webhook ${hook.id} was not found.`);
      expectProblem(await alice.call('POST', `/webhooks/${other.id}/deliveries/${delivery!.id}/retry`), 404);
      const theirs = expectProblem(
        await bob.call('POST', `/webhooks/${hook.id}/deliveries/${delivery!.id}/retry`),
        404,
      );
      expect(theirs.detail).to.equal(`Webhook ${hook.id} was not found.`);
    });
  });
});

describeEachDatabase('webhooks: with REQUIRE_IF_MATCH', (suite) => {
  let strict: TestServer | undefined;
  before(async () => {
    strict = await startTestServer(suite.database().knex, { http: { requireIfMatch: true } });
  });
  after(async () => strict?.close());

  it('answers 428 to an update or a delete without If-Match and writes nothing', async () => {
    const alice = new TestUser(strict!.baseUrl);
    const hook = await createWebhook(alice);
    for (const refused of [
      await alice.call('PATCH', `/webhooks/${hook.id}`, { json: { enabled: false } }),
      await alice.call('DELETE', `/webhooks/${hook.id}`),
    ]) {
      expect(expectProblem(refused, 428).detail).to.equal(
        'This write needs an If-Match header with the ETag of the webhook as last read.',
      );
    }
    const read = await getWebhook(alice, hook.id);
    expect(read.body.enabled).to.equal(true);
    const etag = read.headers.get('etag')!;
    expect((await alice.call('DELETE', `/webhooks/${hook.id}`, { headers: { 'If-Match': etag } })).status).to.equal(
      204,
    );
  });
});

describeEachDatabase('webhooks: the webhooks quota', (suite) => {
  const LIMIT = 2;
  let server: TestServer | undefined;
  before(async () => {
    server = await startTestServer(suite.database().knex, { quotas: { webhooksPerUser: LIMIT } });
  });
  after(async () => server?.close());

  function expectQuotaExceeded(response: ApiResponse): void {
    const problem = expectProblem(response, 409);
    expect(problem.type).to.equal('/docs#section/Quotas');
    expect(problem.quota).to.deep.equal({ name: 'webhooks', limit: LIMIT, used: LIMIT });
  }

  it('stops exactly at the limit, concurrent creates included; a deleted webhook frees its room', async () => {
    const alice = new TestUser(server!.baseUrl);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => alice.call<Webhook>('POST', '/webhooks', { json: HOOK })),
    );
    const created = responses.filter((response) => response.status === 201);
    expect(created).to.have.length(LIMIT);
    for (const response of responses.filter((each) => each.status !== 201)) expectQuotaExceeded(response);
    expect(await suite.database().knex('webhooks').where('user_id', alice.id)).to.have.length(LIMIT);
    expect((await alice.call('DELETE', `/webhooks/${created[0]!.body.id}`)).status).to.equal(204);
    await createWebhook(alice);
  });
});
