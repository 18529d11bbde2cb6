import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { pruneEvents } from '../../src/changes/history-prune.js';
import {
  Configuration,
  EventsApi,
  EventStreamResetError,
  FetchError,
  ListsApi,
  ResponseError,
  TasksApi,
  type Event,
  type EventStreamOptions,
} from '../../generated/sdk/dist/index.js';
import { sharedTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { openEventStream, streamsStarted } from '../helpers/event-stream.js';
import { countingSignal } from '../helpers/signals.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/test-server.js';
import { tokenFor } from '../helpers/tokens.js';
import { IN_TEST_BOUND_MS, pollUntil, within } from '../helpers/wait.js';
import { observeResponses, SDK_DATABASE_KIND } from './sdk-suite.js';

// The SDK's live stream (EventsApi.streamEvents: an async iterable that reconnects with
// Last-Event-ID), against the real server: what it yields, how it stops, and that a connection
// lost, cut, silent or refused, or a server restarted, loses and repeats no event.

/** Reconnections as quick as a test wants them. */
const QUICK: EventStreamOptions = { retry: { initialDelayMs: 20, maxDelayMs: 200 } };

/** Takes the stream's events into `events` as they come, until it ends; what ended it. */
function collect(stream: AsyncIterable<Event>, events: Event[]): Promise<unknown> {
  return (async () => {
    for await (const event of stream) events.push(event);
    return 'ended';
  })().catch((error: unknown) => error);
}

const titles = (events: Event[]) => events.map((event) => event.data.task?.title ?? event.type);

describe(`SDK: the live event stream [${SDK_DATABASE_KIND}]`, function () {
  this.timeout(60_000);
  let database: TestDatabase;
  const servers: TestServer[] = [];
  const proxies: TcpProxy[] = [];
  const aborts: AbortController[] = [];

  before(async () => {
    database = await sharedTestDatabase(SDK_DATABASE_KIND);
  });
  afterEach(async () => {
    for (const abort of aborts.splice(0)) abort.abort();
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });

  async function serve(options: TestServerOptions = {}): Promise<TestServer> {
    const server = await startTestServer(database.knex, {
      ...options,
      events: { heartbeatMs: 60_000, ...options.events },
    });
    servers.push(server);
    return server;
  }

  /** A user with the SDK's APIs on `basePath`, their default list made; the events API's token provider counts its calls. */
  async function newUser(basePath: string) {
    const id = `sdk-events-${randomUUID()}`;
    let streamTokens = 0;
    const configuration = (counted: boolean) =>
      new Configuration({
        basePath,
        accessToken: () => {
          if (counted) streamTokens += 1;
          return tokenFor(id);
        },
        middleware: [observeResponses],
        timeoutMs: 5_000, // a stream is not bounded by it: only its connections' answers are
      });
    const tasks = new TasksApi(configuration(false));
    await new ListsApi(configuration(false)).listLists({ userId: id });
    return {
      id,
      events: new EventsApi(configuration(true)),
      tasks,
      /** How many connections its streams made (each asks for a token). */
      streamTokens: () => streamTokens,
      create: (title: string) => tasks.createTask({ userId: id, taskCreate: { title } }),
    };
  }

  function abortable(): AbortSignal {
    const abort = new AbortController();
    aborts.push(abort);
    return abort.signal;
  }

  async function eventually(events: Event[], count: number): Promise<void> {
    await pollUntil(() => events.length >= count, `${count} events`, {
      ms: IN_TEST_BOUND_MS,
      context: () => `; got ${JSON.stringify(titles(events))}`,
    });
  }

  it('yields the typed events as they come, from the next one on, and stops when its signal aborts', async () => {
    const signal = countingSignal();
    const server = await serve({ signal });
    const alice = await newUser(server.baseUrl);
    await alice.create('Before');
    const abort = new AbortController();
    const events: Event[] = [];
    const ended = collect(alice.events.streamEvents({ userId: alice.id }, { signal: abort.signal }), events);
    await pollUntil(() => signal.subscribers() === 1, 'the stream to be open');
    const task = await alice.create('After');
    await alice.tasks.completeTask({ userId: alice.id, taskId: task.id, taskCompletion: { completed: true } });
    await eventually(events, 2);
    expect(events.map((event) => event.type)).to.deep.equal(['task.created', 'task.completed']);
    expect(events[0]!.created_at).to.be.instanceOf(Date);
    expect(events[1]!.data.task).to.include({ id: task.id, completed: true });

    abort.abort();
    const reason = await within(ended, IN_TEST_BOUND_MS, 'the stream to stop');
    expect(reason).to.be.instanceOf(DOMException).with.property('name', 'AbortError');
    await pollUntil(() => signal.subscribers() === 0, 'the server to let go of the stream');
    await signal.close();
  });

  it('closes its connection when the loop reading it ends', async () => {
    const signal = countingSignal();
    const server = await serve({ signal });
    const alice = await newUser(server.baseUrl);
    const reading = (async () => {
      for await (const event of alice.events.streamEvents({ userId: alice.id })) return event;
      return undefined;
    })();
    await pollUntil(() => signal.subscribers() === 1, 'the stream to be open');
    await alice.create('The one');
    expect((await within(reading, IN_TEST_BOUND_MS, 'the first event'))?.data.task?.title).to.equal('The one');
    await pollUntil(() => signal.subscribers() === 0, 'the server to let go of the stream');
    await signal.close();
  });

  it('goes on from a lastEventID given', async () => {
    const server = await serve();
    const alice = await newUser(server.baseUrl);
    const events: Event[] = [];
    void collect(alice.events.streamEvents({ userId: alice.id }, { signal: abortable() }), events);
    await pollUntil(async () => (await streamsStarted(server.baseUrl)) === 1, 'the stream to be open');
    await alice.create('One');
    await eventually(events, 1);
    for (const title of ['Two', 'Three']) await alice.create(title);
    const later: Event[] = [];
    void collect(
      alice.events.streamEvents({ userId: alice.id, lastEventID: events[0]!.id }, { signal: abortable() }),
      later,
    );
    await eventually(later, 2);
    expect(titles(later)).to.deep.equal(['Two', 'Three']);
  });

  it('reconnects when the server goes away and comes back: no event lost, none repeated, a fresh token each time', async () => {
    const first = await serve();
    const port = Number(new URL(first.baseUrl).port);
    const alice = await newUser(first.baseUrl);
    // Another process over the same database, which takes the writes while the first is down.
    const elsewhere = new TasksApi(
      new Configuration({
        basePath: (await serve()).baseUrl,
        accessToken: () => tokenFor(alice.id),
        middleware: [observeResponses],
      }),
    );

    const events: Event[] = [];
    const stream = alice.events.streamEvents({ userId: alice.id }, { ...QUICK, signal: abortable() });
    void collect(stream, events);
    await pollUntil(async () => (await streamsStarted(first.baseUrl)) === 1, 'the stream to be open');
    await alice.create('Before the restart');
    await eventually(events, 1);

    await first.close(); // the process stops: its connections are cut
    servers.splice(servers.indexOf(first), 1);
    for (const title of ['While down 1', 'While down 2'])
      await elsewhere.createTask({ userId: alice.id, taskCreate: { title } });
    await serve({ port });
    await eventually(events, 3);
    await alice.create('After the restart');
    await eventually(events, 4);
    expect(titles(events)).to.deep.equal(['Before the restart', 'While down 1', 'While down 2', 'After the restart']);
    expect(stream.lastEventId).to.equal(events[3]!.id);
    expect(alice.streamTokens(), 'a token for each connection').to.be.at.least(2);
  });

  it('reconnects when its connection is cut, or goes silent past idleTimeoutMs: no event lost, none repeated, even before its first', async () => {
    // Heartbeats well within the idle timeout: only a silenced connection is given up.
    const server = await serve({ events: { heartbeatMs: 100 } });
    const { port } = new URL(server.baseUrl);
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(port) });
    proxies.push(proxy);
    const alice = await newUser(server.baseUrl);
    await alice.create('Before');
    const [latest] = await database.knex('events').where({ user_id: alice.id }).max<{ seq: number }[]>('seq as seq');
    const viaProxy = new EventsApi(
      new Configuration({
        basePath: proxy.via(server.baseUrl).replace(/\/$/, ''),
        accessToken: () => tokenFor(alice.id),
      }),
    );
    const events: Event[] = [];
    // Waits of 200 to 400 ms before it reconnects: what is written right after a cut is written before.
    const options = { retry: { initialDelayMs: 400, maxDelayMs: 400 }, idleTimeoutMs: 500, signal: abortable() };
    const stream = viaProxy.streamEvents({ userId: alice.id }, options);
    void collect(stream, events);
    // The server's position comes first: the stream knows where it is before any event.
    await pollUntil(() => stream.lastEventId === String(latest!.seq), 'the position');

    proxy.cut();
    await alice.create('One');
    await eventually(events, 1);

    proxy.cut();
    for (const title of ['Two', 'Three']) await alice.create(title);
    await eventually(events, 3);

    proxy.silence(); // the connection stays open, and brings nothing: given up after 500 ms
    await alice.create('Four');
    await eventually(events, 4);
    expect(titles(events)).to.deep.equal(['One', 'Two', 'Three', 'Four']);
  });

  it('waits out a 429 (too many streams) and connects once a slot is free', async () => {
    const server = await serve({ events: { streamsPerUser: 1 } });
    const alice = await newUser(server.baseUrl);
    const other = await openEventStream(server.baseUrl, alice.id, { token: await tokenFor(alice.id) });
    expect(other.status).to.equal(200);
    const events: Event[] = [];
    void collect(alice.events.streamEvents({ userId: alice.id }, { ...QUICK, signal: abortable() }), events);
    // Refused at first (its Retry-After: 5 s), then admitted once the other stream closed.
    await pollUntil(
      () =>
        server.logs.some(
          (line) => line.operation === 'streamEvents' && (line.res as { statusCode?: number })?.statusCode === 429,
        ),
      'the refusal',
    );
    await other.close();
    await pollUntil(async () => (await streamsStarted(server.baseUrl)) === 2, 'the SDK to connect');
    await alice.create('Admitted');
    await eventually(events, 1);
  });

  it('throws what no retry mends: a 403 for another user, a 401 without a valid token', async () => {
    const server = await serve();
    const alice = await newUser(server.baseUrl);
    const bob = await newUser(server.baseUrl);
    const forbidden = await collect(alice.events.streamEvents({ userId: bob.id }, QUICK), []);
    expect(forbidden).to.be.instanceOf(ResponseError).with.property('status', 403);
    const anonymous = new EventsApi(new Configuration({ basePath: server.baseUrl }));
    const unauthorized = await collect(anonymous.streamEvents({ userId: alice.id }, QUICK), []);
    expect(unauthorized).to.be.instanceOf(ResponseError).with.property('status', 401);
  });

  it('from an id the history no longer reaches: awaits onReset with the id to go on from, then goes on', async () => {
    const server = await serve();
    const alice = await newUser(server.baseUrl);
    const lastSeq = async () =>
      (await database.knex('events').where({ user_id: alice.id }).max<{ seq: number }[]>('seq as seq'))[0]!;
    await alice.create('Seen');
    const seen = await lastSeq();
    await alice.create('Pruned');
    const pruned = await lastSeq();
    await alice.create('Latest');
    // The history's pruning took the events up to `pruned`, one of which a client at `seen` has not had.
    await database
      .knex('events')
      .where({ user_id: alice.id })
      .where('seq', '<=', pruned.seq)
      .update({ created_at: database.knex.raw(`now() - interval '31 days'`) });
    expect(await pruneEvents(database.knex, 30)).to.be.at.least(2);
    const [latest] = await database.knex('events').where({ user_id: alice.id }).max<{ seq: number }[]>('seq as seq');

    const resets: string[] = [];
    const events: Event[] = [];
    const stream = alice.events.streamEvents(
      { userId: alice.id, lastEventID: String(seen.seq) },
      { signal: abortable(), onReset: (id) => void resets.push(id) },
    );
    void collect(stream, events);
    await pollUntil(() => resets.length === 1, 'the reset');
    expect(resets).to.deep.equal([String(latest!.seq)]);
    await alice.create('Next');
    await eventually(events, 1);
    expect(titles(events)).to.deep.equal(['Next']);

    const [now] = await database.knex('events').where({ user_id: alice.id }).max<{ seq: number }[]>('seq as seq');
    const unhandled = await collect(
      alice.events.streamEvents({ userId: alice.id, lastEventID: String(seen.seq) }, QUICK),
      [],
    );
    expect(unhandled).to.be.instanceOf(EventStreamResetError).with.property('lastEventId', String(now!.seq));
  });

  it('gives one connection as it is with the Raw method: its events, until the connection is lost (a FetchError)', async () => {
    const server = await serve();
    const alice = await newUser(server.baseUrl);
    const response = await alice.events.streamEventsRaw({ userId: alice.id });
    expect(response.raw.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
    const events: Event[] = [];
    const ended = collect(await response.value(), events);
    await alice.create('Only');
    await eventually(events, 1);
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    expect(await within(ended, IN_TEST_BOUND_MS, 'the stream to end with its connection')).to.be.instanceOf(FetchError);
    expect(titles(events)).to.deep.equal(['Only']);
  });
});
