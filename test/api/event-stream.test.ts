import { once } from 'node:events';
import net from 'node:net';
import { expect } from 'chai';
import { pruneEvents } from '../../src/changes/history-prune.js';
import { expectProblem, request, TestUser, type Problem } from '../helpers/api-client.js';
import { describeEachDatabase } from '../helpers/api-suite.js';
import { openEventStream, type OpenStream, type StreamOptions } from '../helpers/event-stream.js';
import { countingSignal } from '../helpers/signals.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/test-server.js';
import { pollUntil } from '../helpers/wait.js';

// GET /api/{user_id}/events: the live stream of the user's events (Server-Sent Events). The
// servers here wake their streams by the signal alone (a heartbeat of a minute, which no test
// waits for) unless a test is about the heartbeat; every stream a test opens is closed by it,
// which checks what it received against the contract.

/** A heartbeat no test waits for: whatever a stream receives, the signal woke it for. */
const QUIET = { heartbeatMs: 60_000 };

describeEachDatabase('event stream', (suite) => {
  const servers: TestServer[] = [];
  const streams: OpenStream[] = [];
  afterEach(async () => {
    await Promise.all(streams.splice(0).map((stream) => stream.close()));
  });
  after(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  /** A server of the suite's own over the suite's database, with these settings (QUIET by default). */
  async function serve(options: TestServerOptions = {}): Promise<TestServer> {
    const server = await startTestServer(suite.database().knex, {
      ...options,
      events: { ...QUIET, ...options.events },
    });
    servers.push(server);
    return server;
  }

  /** Makes the user's events whose number passes `which` 31 days old, for the history's pruning. */
  async function ageEvents(user: TestUser, which: (seq: number) => boolean): Promise<void> {
    const knex = suite.database().knex;
    const seqs = (await knex('events').where('user_id', user.id).select<{ seq: number }[]>('seq'))
      .map((row) => Number(row.seq))
      .filter(which);
    await knex('events')
      .where('user_id', user.id)
      .whereIn('seq', seqs)
      .update({ created_at: knex.raw(`now() - interval '31 days'`) });
  }

  let quiet: TestServer;
  before(async () => {
    quiet = await serve();
  });

  /** A new user of that server's, with their default list made already (its list.created is no test's business). */
  async function userOn(server: TestServer): Promise<TestUser> {
    const user = new TestUser(server.baseUrl);
    expect((await user.call('GET', '/lists')).status).to.equal(200);
    return user;
  }

  async function open(server: TestServer, user: TestUser, options: StreamOptions = {}): Promise<OpenStream> {
    const stream = await openEventStream(server.baseUrl, user.id, { token: await user.bearer(), ...options });
    streams.push(stream);
    return stream;
  }

  /** Opens a stream and checks that it is one: 200, an event stream, with its client's stream head. */
  async function follow(server: TestServer, user: TestUser, options: StreamOptions = {}): Promise<OpenStream> {
    const stream = await open(server, user, options);
    expect(stream.status, JSON.stringify(stream.body)).to.equal(200);
    return stream;
  }

  describe('following', () => {
    it('sends each change as it commits, in the order of the changes feed, with its id and type', async () => {
      const alice = await userOn(quiet);
      const stream = await follow(quiet, alice, { headers: { 'accept-encoding': 'gzip, br' } });
      expect(stream.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
      expect(stream.headers.get('cache-control')).to.equal('no-store, no-cache, no-transform');
      expect(stream.headers.get('x-accel-buffering')).to.equal('no');
      expect(stream.headers.get('content-encoding'), 'never compressed').to.equal(null);

      const list = (await alice.call('POST', '/lists', { json: { name: 'Errands' } })).body as { id: number };
      const task = await alice.createTask({ title: 'Buy milk', list_id: list.id });
      await alice.call('PATCH', `/tasks/${task.id}`, {
        json: { title: 'Buy oat milk' },
        contentType: 'application/merge-patch+json',
      });
      await alice.call('PATCH', `/tasks/${task.id}/complete`, { json: { completed: true } });
      await alice.call('PATCH', `/tasks/${task.id}/complete`, { json: { completed: false } });
      await alice.call('DELETE', `/tasks/${task.id}`);
      await alice.call('POST', `/tasks/${task.id}/restore`);
      await alice.call('PATCH', `/lists/${list.id}`, {
        json: { name: 'Shopping' },
        contentType: 'application/merge-patch+json',
      });
      await alice.call('DELETE', `/lists/${list.id}`);
      await alice.call('DELETE', `/trash/${task.id}`);

      const types = [
        'list.created',
        'task.created',
        'task.updated',
        'task.completed',
        'task.reopened',
        'task.trashed',
        'task.restored',
        'list.updated',
        // The list's deletion: its task to the trash (and, as the trash keeps no deleted list, to the
        // default list, in the same transaction: one change to the client, told once).
        'task.trashed',
        'list.deleted',
        'task.deleted',
      ];
      const events = await stream.eventsUntil(types.length);
      expect(events.map((event) => event.type)).to.deep.equal(types);
      const ids = events.map((event) => Number(event.id));
      expect(ids, 'in the order of their ids').to.deep.equal([...ids].sort((a, b) => a - b));
      expect(events[2]!.data.task).to.include({ id: task.id, title: 'Buy oat milk' });
      expect(events[7]!.data.list).to.include({ id: list.id, name: 'Shopping' });
    });

    it('starts with the next event: nothing from before it connected', async () => {
      const alice = await userOn(quiet);
      await alice.createTask({ title: 'Before' });
      const stream = await follow(quiet, alice);
      await alice.createTask({ title: 'After' });
      const [first] = await stream.eventsUntil(1);
      expect(first!.data.task?.title).to.equal('After');
      // Its position, sent first: the event before it, which a client reconnecting sends back.
      const [before] = await suite
        .database()
        .knex('events')
        .where({ user_id: alice.id })
        .where('seq', '<', Number(first!.id))
        .max<{ seq: number }[]>('seq as seq');
      expect(stream.position()).to.equal(String(before!.seq));
    });

    it("sends the user's own events only", async () => {
      const [alice, bob] = [await userOn(quiet), await userOn(quiet)];
      const stream = await follow(quiet, alice);
      await bob.createTask({ title: "Bob's" });
      await alice.createTask({ title: "Alice's" });
      const [first] = await stream.eventsUntil(1);
      expect(first!.data.task).to.include({ title: "Alice's", user_id: alice.id });
    });
  });

  describe('resuming with Last-Event-ID', () => {
    it('goes on after it: nothing missed, nothing repeated', async () => {
      const alice = await userOn(quiet);
      const first = await follow(quiet, alice);
      for (const title of ['One', 'Two']) await alice.createTask({ title });
      const seen = await first.eventsUntil(2);
      await first.close();
      for (const title of ['Three', 'Four', 'Five']) await alice.createTask({ title });

      const again = await follow(quiet, alice, { lastEventId: seen.at(-1)!.id });
      await alice.createTask({ title: 'Six' });
      const events = await again.eventsUntil(4);
      expect(events.map((event) => event.data.task?.title)).to.deep.equal(['Three', 'Four', 'Five', 'Six']);
      expect(again.position(), 'its position: the Last-Event-ID given').to.equal(seen.at(-1)!.id);
    });

    it('reads a long backlog page by page, in order', async () => {
      const alice = await userOn(quiet);
      const first = await follow(quiet, alice);
      await alice.createTask({ title: 'Seen' });
      const [seen] = await first.eventsUntil(1);
      await first.close();
      for (let batch = 0; batch < 3; batch += 1) {
        const actions = Array.from({ length: 100 }, (_, index) => ({
          op: 'create',
          task: { title: `Missed ${batch * 100 + index}` },
        }));
        expect((await alice.call('POST', '/tasks/bulk', { json: { atomic: true, actions } })).status).to.equal(200);
      }
      const again = await follow(quiet, alice, { lastEventId: seen!.id });
      const events = await again.eventsUntil(300);
      expect(events.map((event) => event.data.task?.title)).to.deep.equal(
        Array.from({ length: 300 }, (_, index) => `Missed ${index}`),
      );
      const ids = events.map((event) => Number(event.id));
      expect(new Set(ids).size).to.equal(300);
      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    });

    it('from an id older than the history kept: a reset naming the latest event, then what follows it', async () => {
      const alice = await userOn(quiet);
      const first = await follow(quiet, alice);
      for (const title of ['Old', 'Gone', 'Kept']) await alice.createTask({ title });
      const [old, gone, kept] = await first.eventsUntil(3);
      await first.close();
      // The history's pruning deleted the oldest, up to `gone`, which a client at `old` has not seen.
      await ageEvents(alice, (seq) => seq <= Number(gone!.id));
      expect(await pruneEvents(suite.database().knex, 30)).to.be.at.least(1);

      const again = await follow(quiet, alice, { lastEventId: old!.id });
      await alice.createTask({ title: 'New' });
      await again.eventsUntil(1);
      expect(again.messages.map(({ id, event }) => [id, event])).to.deep.equal([
        [kept!.id, 'reset'],
        [again.events()[0]!.id, 'task.created'],
      ]);
      expect(again.messages[0]!.data).to.equal('{}');
      expect(again.events()[0]!.data.task?.title).to.equal('New');
    });

    it('from an id before an event pruned out of order (a later number, an earlier time): a reset', async () => {
      const alice = await userOn(quiet);
      const first = await follow(quiet, alice);
      for (const title of ['Seen', 'Missed', 'Kept']) await alice.createTask({ title });
      const [seen, missed, kept] = await first.eventsUntil(3);
      await first.close();
      // Events are pruned by age, and a transaction's events take its start time: one that began
      // before `seen`'s and wrote after it has the later number and the older time.
      await ageEvents(alice, (seq) => seq === Number(missed!.id));
      expect(await pruneEvents(suite.database().knex, 30)).to.be.at.least(1);

      const again = await follow(quiet, alice, { lastEventId: seen!.id });
      await again.until((s) => s.messages.length === 1, 'the reset');
      expect(again.messages[0]).to.deep.equal({ id: kept!.id, event: 'reset', data: '{}' });
      // Resuming after the event pruned misses nothing: no reset, what follows it.
      const after = await follow(quiet, alice, { lastEventId: missed!.id });
      const events = await after.eventsUntil(1);
      expect(after.messages.map(({ id, event }) => [id, event])).to.deep.equal([[kept!.id, 'task.created']]);
      expect(events[0]!.data.task?.title).to.equal('Kept');
    });

    it('from an id its history does not reach (ahead of it): a reset, then what follows', async () => {
      const alice = await userOn(quiet);
      await alice.createTask({ title: 'Latest' });
      const latest = (await suite.database().knex('events').where({ user_id: alice.id }).max('seq as seq'))[0] as {
        seq: number;
      };
      for (const ahead of [String(latest.seq + 1), '9999999999999999999']) {
        const stream = await follow(quiet, alice, { lastEventId: ahead });
        await stream.until((s) => s.messages.length === 1, 'the reset');
        expect(stream.messages[0]).to.deep.equal({ id: String(latest.seq), event: 'reset', data: '{}' });
        await stream.close();
      }
    });

    it('for a user without any event: a reset to 0', async () => {
      const carol = new TestUser(quiet.baseUrl);
      const stream = await follow(quiet, carol, { lastEventId: '42' });
      await stream.until((s) => s.messages.length === 1, 'the reset');
      expect(stream.messages[0]).to.deep.equal({ id: '0', event: 'reset', data: '{}' });
    });

    it('refuses a Last-Event-ID that is no event id with a 400 saying so', async () => {
      const alice = await userOn(quiet);
      for (const malformed of ['abc', '-1', '1'.repeat(20)]) {
        const stream = await open(quiet, alice, { lastEventId: malformed });
        const problem = expectProblem({ status: stream.status, headers: stream.headers, body: stream.body }, 400);
        expect(problem.errors).to.deep.equal([
          {
            location: 'header',
            pointer: '/last-event-id',
            message: 'must be an event id, 1 to 19 decimal digits',
          },
        ]);
      }
    });
  });

  describe('heartbeats', () => {
    it('sends a comment when idle, and reads again at each: an event whose signal was lost comes anyway', async () => {
      const server = await serve({ events: { heartbeatMs: 100 } });
      const alice = await userOn(server);
      const task = await alice.createTask({ title: 'Quiet' });
      const stream = await follow(server, alice);
      await stream.until((s) => s.comments() >= 2, 'two heartbeats');
      // Written behind the server's back: its trigger records the event, nobody announces it.
      await suite
        .database()
        .knex('tasks')
        .where({ id: task.id })
        .update({ title: 'Renamed in the database', updated_at: new Date() });
      const [event] = await stream.eventsUntil(1);
      expect(event).to.deep.include({ type: 'task.updated' });
      expect(event!.data.task?.title).to.equal('Renamed in the database');
    });

    it('keeps the stream open past the request timeout (which bounds receiving a request, not answering it)', async () => {
      const server = await serve({ events: { heartbeatMs: 250 }, http: { requestTimeoutMs: 1_000 } });
      const alice = await userOn(server);
      const stream = await follow(server, alice);
      // Ten heartbeats: 2.5 s, past the timeout and the server's check of it (every second).
      await stream.until((s) => s.comments() >= 10, 'ten heartbeats');
      await alice.createTask({ title: 'Still there' });
      await stream.eventsUntil(1);
      expect(stream.isEnded()).to.equal(false);
    });
  });

  describe('bounds', () => {
    it('holds EVENT_STREAMS_PER_USER streams per user: one more is a 429 naming the policy; a closed one frees its slot', async () => {
      const server = await serve({ events: { streamsPerUser: 2 } });
      const [alice, bob] = [await userOn(server), await userOn(server)];
      const [first] = [await follow(server, alice), await follow(server, alice)];
      const refused = await open(server, alice);
      const problem = expectProblem({ status: refused.status, headers: refused.headers, body: refused.body }, 429);
      expect(problem.detail).to.match(/2 event streams open already/);
      expect(refused.headers.get('retry-after')).to.equal('5');
      expect(refused.headers.get('ratelimit-policy')).to.equal('"streams"; q=2');
      expect(refused.headers.get('ratelimit')).to.equal('"streams"; r=0; t=5');
      await follow(server, bob); // another user's are counted apart

      await first.close();
      await pollUntil(async () => {
        const stream = await open(server, alice);
        return stream.status === 200;
      }, 'the closed stream to free its slot');
    });

    it('lets go of everything when its client goes away: its subscription and its slot', async () => {
      const signal = countingSignal();
      const server = await serve({ events: { streamsPerUser: 1 }, signal });
      const alice = await userOn(server);
      for (let round = 0; round < 3; round += 1) {
        const stream = await follow(server, alice);
        await pollUntil(() => signal.subscribers() === 1, 'the stream to subscribe');
        await stream.close();
        await pollUntil(() => signal.subscribers() === 0, 'the stream to unsubscribe');
      }
      await signal.close();
      // Each logged once, when it ended, at info: a client leaving its stream is how streams end.
      const lines = server.logs.filter((line) => line.operation === 'streamEvents');
      expect(lines.map((line) => line.level)).to.deep.equal([30, 30, 30]);
      for (const line of lines) expect(line.msg).to.match(/^GET \/api\/\S+\/events 200 \d+ ms \(aborted\)$/);
    });

    it('answers HEAD with the head alone, and holds nothing after it', async () => {
      const signal = countingSignal();
      const server = await serve({ events: { streamsPerUser: 1 }, signal });
      const alice = await userOn(server);
      for (let round = 0; round < 3; round += 1) {
        const head = await open(server, alice, { method: 'HEAD' });
        expect(head.status).to.equal(200);
        expect(head.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
        expect(head.body).to.equal(undefined);
      }
      expect(signal.subscribers()).to.equal(0);
      await follow(server, alice);
      await signal.close();
    });

    // Megabytes of events for a client that reads none: shown on one database, the HTTP side is the same on all.
    if (suite.kind === 'postgres')
      it('waits for a client that reads nothing once its buffers are full, then cuts it off and frees its slot', async function () {
        this.timeout(60_000);
        const server = await serve({ events: { heartbeatMs: 100, streamsPerUser: 1 } });
        const alice = await userOn(server);
        const description = 'x'.repeat(5000);
        const { port } = new URL(server.baseUrl);
        // A client that sends its request, then never reads: the kernel's buffers fill, then the server's.
        const socket = net.connect(Number(port), '127.0.0.1');
        await once(socket, 'connect');
        socket.on('error', () => undefined);
        socket.write(
          `GET /api/${alice.id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${await alice.bearer()}\r\n\r\n`,
        );
        socket.pause();
        // About 6 MB of events, written behind the server's back: the stream reads them at its heartbeats.
        const rows = Array.from({ length: 1200 }, () => ({ user_id: alice.id, title: 'Bulky', description }));
        await suite.database().knex.batchInsert('tasks', rows, 200);
        await pollUntil(
          () => server.logs.some((line) => line.msg === 'event stream cut off: its client takes nothing'),
          'the stream to be cut off',
        );
        socket.destroy();
        await pollUntil(async () => (await open(server, alice)).status === 200, 'its slot to be free');
      });

    it("holds no in-flight slot while it streams: the user's other requests go on", async () => {
      const server = await serve({ rateLimit: { inFlightPerUser: 1 } });
      const alice = await userOn(server);
      await follow(server, alice);
      for (let round = 0; round < 3; round += 1)
        expect((await alice.call('GET', '/tasks')).status, 'a request while the stream is open').to.equal(200);
    });
  });

  describe('other users', () => {
    it("refuses another user's stream with a 403", async () => {
      const [alice, bob] = [await userOn(quiet), await userOn(quiet)];
      const stream = await openEventStream(quiet.baseUrl, bob.id, { token: await alice.bearer() });
      expectProblem({ status: stream.status, headers: stream.headers, body: stream.body as Problem }, 403);
    });

    it('refuses a stream without a token with a 401', async () => {
      const response = await request(quiet.baseUrl, 'GET', `/api/${(await userOn(quiet)).id}/events`);
      expectProblem(response, 401);
    });
  });
});
