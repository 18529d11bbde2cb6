import type { LookupAddress } from 'node:dns';
import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import type { Config } from '../../src/config.js';
import { toEvent } from '../../src/events/event-representation.js';
import type { EventRow } from '../../src/events/events.store.js';
import { systemResolve, type Resolve } from '../../src/webhooks/public-address.js';
import { expectProblem, TestUser, type Task } from '../helpers/api-client.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { freePort } from '../helpers/throwaway-postgres.js';
import { EVENT_BOUND_MS, pollUntil } from '../helpers/wait.js';
import { verified, WebhookReceiver, type Received } from '../helpers/webhook-receiver.js';

// Issue 17: deliveries, run by the job engine as the server runs it, to receivers on this machine
// (hence WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOW_PRIVATE here, but for the SSRF guard's own tests).
// Time is short by settings: a second's backoff, doubling up to two, three attempts; the engine
// looks for dead jobs every second. Each database kind gets a database of its own, so that no
// other suite's webhooks meet this suite's engine.

type Webhook = components['schemas']['Webhook'];
type Delivery = components['schemas']['WebhookDelivery'];
type DeliveryPage = components['schemas']['WebhookDeliveryPage'];
type Event = components['schemas']['Event'];

const FAST: Partial<Config['webhooks']> = {
  allowHttp: true,
  allowPrivate: true,
  timeoutMs: 2000,
  maxAttempts: 3,
  retryBaseSeconds: 1,
  retryMaxDelaySeconds: 2,
};

/** Names the tests resolve themselves; any other goes to the system's resolver. */
const TEST_NAMES: Record<string, LookupAddress[]> = {
  'hooks.example.test': [{ address: '127.0.0.1', family: 4 }],
  'mapped.example.test': [{ address: '::ffff:127.0.0.1', family: 6 }],
};
const testResolve: Resolve = async (hostname) => {
  if (hostname === 'no-such-host.test')
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return TEST_NAMES[hostname] ?? systemResolve(hostname);
};

async function createWebhook(user: TestUser, url: string, eventTypes: string[] = ['task.created']): Promise<Webhook> {
  const response = await user.call<Webhook>('POST', '/webhooks', { json: { url, event_types: eventTypes } });
  expect(response.status, JSON.stringify(response.body)).to.equal(201);
  return response.body;
}

async function deliveriesOf(user: TestUser, webhookId: number): Promise<Delivery[]> {
  const response = await user.call<DeliveryPage>('GET', `/webhooks/${webhookId}/deliveries?limit=100`);
  expect(response.status).to.equal(200);
  return response.body.items;
}

/** Waits until the webhook's deliveries satisfy `holds` (the record is in the database, which sends no event). */
async function deliveriesUntil(
  user: TestUser,
  webhookId: number,
  holds: (deliveries: Delivery[]) => boolean,
  what: string,
): Promise<Delivery[]> {
  let last: Delivery[] = [];
  await pollUntil(async () => holds((last = await deliveriesOf(user, webhookId))), what, {
    everyMs: 100,
    context: () => `; deliveries ${JSON.stringify(last)}`,
  });
  return last;
}

/** The user's events as a delivery carries them. */
async function eventsOf(database: TestDatabase, user: TestUser, types: string[]): Promise<Event[]> {
  const rows = await database
    .knex('events')
    .select<EventRow[]>('seq', 'type', 'data', 'created_at')
    .where('user_id', user.id)
    .whereIn('type', types)
    .orderBy('seq');
  return rows.map(toEvent);
}

const backgroundKind = (kind: string) => (kind === 'pglite' ? 'pglite' : 'postgres');

for (const kind of DATABASE_KINDS) {
  describe(`webhook deliveries, run by the job engine [${kind}]`, function () {
    this.timeout(EVENT_BOUND_MS + 30_000);
    let database: TestDatabase | undefined;
    const servers: TestServer[] = [];
    const receivers: WebhookReceiver[] = [];

    before(async function () {
      this.timeout(120_000);
      database = await createTestDatabase(kind);
    });
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((server) => server.close()));
      await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
      // No retry of this test's meets the next one's receiver (which may get the same port).
      await database!.knex('webhooks').delete();
    });
    after(async () => database?.close());

    async function serve(webhooks: Partial<Config['webhooks']> = {}, runJobs = true): Promise<TestServer> {
      const server = await startTestServer(database!.knex, {
        webhooks: { ...FAST, ...webhooks },
        background: {
          kind: backgroundKind(kind),
          superviseSeconds: 1,
          heartbeatSeconds: 10,
          resolve: testResolve,
          runJobs,
        },
      });
      servers.push(server);
      return server;
    }

    async function receiver(port?: number): Promise<WebhookReceiver> {
      const started = await WebhookReceiver.start(port);
      receivers.push(started);
      return started;
    }

    it('delivers each event of a wanted type once, signed as Standard Webhooks says, with the Event as its body', async () => {
      const server = await serve();
      const hooks = await receiver();
      const alice = new TestUser(server.baseUrl);
      const webhook = await createWebhook(alice, hooks.url(), ['task.created', 'task.completed']);
      const task = await alice.createTask({ title: 'Pay rent' });
      const completed = await alice.call<Task>('PATCH', `/tasks/${task.id}/complete`, { json: { completed: true } });
      await alice.call('PATCH', `/tasks/${task.id}`, { json: { title: 'Paid rent' } }); // not wanted

      await hooks.waitFor((received) => received.length >= 2, 'two deliveries');
      const deliveries = await deliveriesUntil(
        alice,
        webhook.id,
        (all) => all.length === 2 && all.every((delivery) => delivery.status === 'succeeded'),
        'both deliveries to be recorded as succeeded',
      );
      expect(hooks.received, 'each once').to.have.length(2);
      const events = await eventsOf(database!, alice, ['task.created', 'task.completed']);
      const bodies = hooks.received
        .map((request) => {
          expect(request.path).to.equal('/hook');
          expect(request.headers['content-type']).to.equal('application/json');
          const event = verified(webhook.secret!, request) as Event;
          expect(request.headers['webhook-id']).to.equal(`evt_${event.id}`);
          expect(Math.abs(Number(request.headers['webhook-timestamp']) - request.at / 1000)).to.be.below(10);
          return event;
        })
        .sort((a, b) => Number(a.id) - Number(b.id));
      expect(bodies).to.deep.equal(events);
      expect(bodies.map((event) => [event.type, event.data.task])).to.deep.equal([
        ['task.created', task],
        ['task.completed', completed.body],
      ]);
      for (const delivery of deliveries) {
        expect(delivery).to.include({ attempts: 1, last_response_code: 204, last_error: null, next_attempt_at: null });
      }
      expect(() => verified(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, hooks.received[0]!)).to.throw(
        'No matching signature found',
      );
    });

    it('retries a failed attempt with exponential backoff and the same webhook-id until one succeeds', async () => {
      const server = await serve();
      const hooks = await receiver();
      hooks.answer = (_request, index) => (index < 2 ? { status: 503 } : { status: 200, body: 'thanks' });
      const alice = new TestUser(server.baseUrl);
      const webhook = await createWebhook(alice, hooks.url());
      await alice.createTask();

      const [first] = await deliveriesUntil(alice, webhook.id, (all) => all[0]?.attempts === 1, 'the first attempt');
      expect(first).to.include({ status: 'pending', last_response_code: 503, last_error: 'http_status' });
      const wait = Date.parse(first!.next_attempt_at!) - Date.parse(first!.last_attempt_at!);
      expect(wait).to.be.within(900, 1100);

      await hooks.waitFor((received) => received.length === 3, 'three attempts');
      const [done] = await deliveriesUntil(alice, webhook.id, (all) => all[0]?.status === 'succeeded', 'success');
      expect(done).to.include({ attempts: 3, last_response_code: 200, last_error: null });
      const [a, b, c] = hooks.received;
      expect(new Set(hooks.received.map((request) => request.headers['webhook-id'])).size).to.equal(1);
      for (const request of hooks.received) verified(webhook.secret!, request);
      // After 1 s, then 2 s: never sooner; later by a poll of the engine's (1 s) and a busy machine's delays.
      expect(b!.at - a!.at).to.be.within(950, 1000 + 3000);
      expect(c!.at - b!.at).to.be.within(1950, 2000 + 3000);
    });

    it('records each kind of failure on the delivery: status, redirect, timeout, size, connection, DNS, TLS', async () => {
      const server = await serve();
      const hooks = await receiver();
      hooks.answer = (request) => {
        if (request.path === '/redirect') return { status: 302, headers: { location: hooks.url('/target') } };
        if (request.path === '/hang') return 'hang';
        if (request.path === '/large') return { status: 200, body: 'x'.repeat(5000) };
        if (request.path === '/teapot') return { status: 418 };
        return { status: 204 };
      };
      const alice = new TestUser(server.baseUrl);
      const closed = await freePort();
      const cases = [
        [hooks.url('/teapot'), 418, 'http_status'],
        [hooks.url('/redirect'), 302, 'http_status'],
        [hooks.url('/hang'), null, 'timeout'],
        [hooks.url('/large'), 200, 'response_too_large'],
        [`http://127.0.0.1:${closed}/hook`, null, 'connection_failed'],
        ['http://no-such-host.test/hook', null, 'dns_failed'],
        [`https://127.0.0.1:${hooks.port}/tls`, null, 'tls_failed'],
      ] as const;
      const webhooks = [];
      for (const [url] of cases) webhooks.push(await createWebhook(alice, url));
      await alice.createTask();
      for (const [index, [url, code, error]] of cases.entries()) {
        const [delivery] = await deliveriesUntil(alice, webhooks[index]!.id, (all) => all[0]!.attempts >= 1, url);
        expect(delivery, url).to.include({ last_response_code: code, last_error: error });
      }
      expect(hooks.received.map((request) => request.path)).not.to.include('/target');
    });

    it('fails a delivery for good after its last attempt, disables a webhook that failed for that long, and says so', async () => {
      const server = await serve();
      const failing = await receiver();
      failing.answer = () => ({ status: 500 });
      const watching = await receiver();
      const alice = new TestUser(server.baseUrl);
      const webhook = await createWebhook(alice, failing.url());
      const watcher = await createWebhook(alice, watching.url(), ['webhook.disabled']);
      await alice.createTask({ title: 'One' });
      await alice.createTask({ title: 'Two' });

      await watching.waitFor((received) => received.length === 1, 'the webhook.disabled event');
      const event = verified(watcher.secret!, watching.received[0]!) as Event;
      const disabled = (await alice.call<Webhook>('GET', `/webhooks/${webhook.id}`)).body;
      expect(disabled).to.include({ enabled: false, disabled_reason: 'deliveries_failed' });
      expect(event).to.include({ type: 'webhook.disabled' });
      expect(event.data).to.deep.equal({ webhook: disabled });
      expect(await eventsOf(database!, alice, ['webhook.disabled'])).to.deep.equal([event]);

      const deliveries = await deliveriesUntil(
        alice,
        webhook.id,
        (all) => all.every((delivery) => delivery.status === 'failed'),
        'both deliveries over',
      );
      const exhausted = deliveries.filter((delivery) => delivery.attempts === 3);
      expect(exhausted.length).to.be.at.least(1);
      for (const delivery of exhausted)
        expect(delivery).to.include({ last_error: 'http_status', last_response_code: 500 });
      for (const delivery of deliveries.filter((each) => each.attempts < 3))
        expect(delivery.last_error).to.equal('webhook_disabled');
      await alice.createTask({ title: 'Three' });
      expect(await deliveriesOf(alice, webhook.id), 'no delivery for a disabled webhook').to.have.length(2);

      // Sent again once enabled: one attempt, with the webhook-id of its first.
      const [latest] = deliveries;
      const retry = `/webhooks/${webhook.id}/deliveries/${latest!.id}/retry`;
      expectProblem(await alice.call('POST', retry), 409);
      await alice.call('PATCH', `/webhooks/${webhook.id}`, { json: { enabled: true } });
      failing.answer = () => ({ status: 204 });
      const before = failing.received.length;
      expect((await alice.call('POST', retry)).status).to.equal(202);
      const [sent] = await deliveriesUntil(alice, webhook.id, (all) => all[0]!.status === 'succeeded', 'the resend');
      expect(sent).to.include({ attempts: latest!.attempts + 1, last_response_code: 204, last_error: null });
      const id = `evt_${sent!.event_id}`;
      expect(failing.received.slice(before).map((request) => request.headers['webhook-id'])).to.deep.equal([id]);
      const earlier = failing.received.slice(0, before).filter((request) => request.headers['webhook-id'] === id);
      // As many as it recorded, or one more: an attempt under way when the webhook was disabled is not recorded.
      expect(earlier.length).to.be.within(latest!.attempts, latest!.attempts + 1);

      // A resend that fails is over after its one attempt: no automatic retries, and the webhook stays enabled.
      failing.answer = () => ({ status: 500 });
      const other = deliveries[1]!;
      expect((await alice.call('POST', `/webhooks/${webhook.id}/deliveries/${other.id}/retry`)).status).to.equal(202);
      const after = await deliveriesUntil(
        alice,
        webhook.id,
        (all) => all.find((delivery) => delivery.id === other.id)!.status === 'failed',
        'the failed resend',
      );
      expect(after.find((delivery) => delivery.id === other.id)).to.include({
        attempts: other.attempts + 1,
        last_error: 'http_status',
      });
      expect((await alice.call<Webhook>('GET', `/webhooks/${webhook.id}`)).body.enabled).to.equal(true);
    });

    it('refuses, when connecting, a host name that resolves to a loopback address (none reaches the receiver)', async () => {
      const hooks = await receiver();
      const guarded = await serve({ allowPrivate: false });
      const alice = new TestUser(guarded.baseUrl);
      // Accepted when written: a name says nothing of its addresses.
      const named = await createWebhook(alice, hooks.url('/hook', 'hooks.example.test'));
      const mapped = await createWebhook(alice, hooks.url('/hook', 'mapped.example.test'));
      const literal = await alice.call('POST', '/webhooks', {
        json: { url: hooks.url(), event_types: ['task.created'] },
      });
      expectProblem(literal, 400);
      await alice.createTask();
      for (const webhook of [named, mapped]) {
        const [delivery] = await deliveriesUntil(alice, webhook.id, (all) => all[0]!.attempts >= 1, webhook.url);
        expect(delivery).to.include({ last_error: 'address_not_allowed', last_response_code: null });
      }
      expect(hooks.connections, 'no connection reached the receiver').to.equal(0);
      for (const webhook of [named, mapped]) await alice.call('DELETE', `/webhooks/${webhook.id}`);

      // The same name on a server that allows private addresses (development) is delivered to.
      const open = await serve({ allowPrivate: true });
      const bob = new TestUser(open.baseUrl);
      await createWebhook(bob, hooks.url('/hook', 'hooks.example.test'));
      await bob.createTask();
      await hooks.waitFor((received) => received.length === 1, 'the delivery through the resolved name');
    });

    it('gets every event to a receiver that was down, once it is back, each webhook-id once or repeated alike', async () => {
      const server = await serve({ maxAttempts: 30 });
      const port = await freePort();
      const alice = new TestUser(server.baseUrl);
      const types = ['task.created', 'task.updated', 'task.completed', 'task.trashed', 'list.created'];
      const webhook = await createWebhook(alice, `http://127.0.0.1:${port}/hook`, types);
      for (let made = 0; made < 4; made += 1) {
        const task = await alice.createTask({ title: `Task ${made}` });
        await alice.call('PATCH', `/tasks/${task.id}`, { json: { title: `Task ${made}, edited` } });
        if (made % 2 === 0) await alice.call('PATCH', `/tasks/${task.id}/complete`, { json: { completed: true } });
        else await alice.call('DELETE', `/tasks/${task.id}`);
      }
      await alice.call('POST', '/lists', { json: { name: 'Later' } });
      const events = await eventsOf(database!, alice, types);
      await deliveriesUntil(
        alice,
        webhook.id,
        (all) => all.length === events.length && all.every((delivery) => delivery.last_error === 'connection_failed'),
        'every delivery refused once',
      );

      const back = Date.now();
      const hooks = await receiver(port);
      await deliveriesUntil(
        alice,
        webhook.id,
        (all) => all.every((delivery) => delivery.status === 'succeeded'),
        'every delivery to succeed',
      );
      const recovered = Date.now() - back;
      const byId = new Map<string, Received[]>();
      for (const request of hooks.received) {
        const id = String(request.headers['webhook-id']);
        byId.set(id, [...(byId.get(id) ?? []), request]);
      }
      expect([...byId.keys()].sort()).to.deep.equal(events.map((event) => `evt_${event.id}`).sort());
      for (const event of events) {
        const copies = byId.get(`evt_${event.id}`)!;
        for (const copy of copies) expect(verified(webhook.secret!, copy)).to.deep.equal(event);
      }
      const duplicates = hooks.received.length - byId.size;
      console.log(
        `      receiver down [${kind}]: ${events.length} events, ${hooks.received.length} deliveries received, ${duplicates} duplicates, all delivered ${recovered} ms after it was back`,
      );
    });

    it('runs each delivery in one process at a time when several run the jobs', async () => {
      const first = await serve();
      await serve(); // a second process's engine, on the same database
      const hooks = await receiver();
      const inFlight = new Map<string, number>();
      let overlapping = 0;
      hooks.answer = (request) => {
        const id = String(request.headers['webhook-id']);
        if ((inFlight.get(id) ?? 0) > 0) overlapping += 1;
        inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
        setTimeout(() => inFlight.set(id, inFlight.get(id)! - 1), 50);
        return { status: 204 };
      };
      const alice = new TestUser(first.baseUrl);
      const webhook = await createWebhook(alice, hooks.url());
      await Promise.all(Array.from({ length: 20 }, (_, index) => alice.createTask({ title: `Task ${index}` })));
      await deliveriesUntil(
        alice,
        webhook.id,
        (all) => all.length === 20 && all.every((delivery) => delivery.status === 'succeeded'),
        'all 20 delivered',
      );
      expect(overlapping).to.equal(0);
      expect(new Set(hooks.received.map((request) => request.headers['webhook-id'])).size).to.equal(20);
      expect(hooks.received).to.have.length(20);
    });
  });
}
