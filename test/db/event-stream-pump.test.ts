import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { StreamSink } from '../../src/contract/response-stream.js';
import { createEventSignal, type EventSignal } from '../../src/events/event-signal.js';
import { eventStream } from '../../src/events/event-stream.js';
import { sharedTestDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/signals.js';
import { pollUntil } from '../helpers/wait.js';

// The stream's own loop (src/events/event-stream.ts), driven through a sink the test holds: what it
// reads and when (pages, one read at a time, wake-ups coalesced), how it waits for a client that
// takes nothing (no read, no write meanwhile; cut off after 4 heartbeats), and a read that fails.

/** A sink whose writes of events the test can hold, as a client's full buffers would. */
class HeldSink implements StreamSink {
  readonly chunks: string[] = [];
  private readonly closing = new AbortController();
  readonly closed = this.closing.signal;
  ended = false;
  holding = false;
  private readonly held: ((taken: boolean) => void)[] = [];

  write(chunk: string): Promise<boolean> {
    if (this.closed.aborted) return Promise.resolve(false);
    this.chunks.push(chunk);
    if (!this.holding || !isEvent(chunk)) return Promise.resolve(true);
    return new Promise((resolve) => this.held.push(resolve));
  }

  end(): void {
    this.ended = true;
    this.closing.abort();
    for (const resolve of this.held.splice(0)) resolve(false);
  }

  /** The client takes everything: held writes resolve, new ones go through. */
  release(): void {
    this.holding = false;
    for (const resolve of this.held.splice(0)) resolve(true);
  }

  /** The ids of the events written (the position and heartbeats aside). */
  ids(): number[] {
    return this.chunks.filter(isEvent).map((chunk) => Number(/^id: (\d+)/.exec(chunk)![1]));
  }

  heartbeats(): number {
    return this.chunks.filter((chunk) => chunk === ': heartbeat\n\n').length;
  }
}

/** A message that is an event (not the stream's position, an `id` alone, nor a heartbeat). */
const isEvent = (chunk: string) => chunk.includes('\nevent: ');

describe('event stream loop [pglite]', function () {
  this.timeout(30_000);
  let db: Knex;
  let signal: EventSignal;
  let reads = 0;
  const countReads = (query: { sql: string }) => {
    if (query.sql.includes('changes_barrier')) reads += 1;
  };
  const running: { sink: HeldSink; done: Promise<void> }[] = [];

  before(async () => {
    db = (await sharedTestDatabase('pglite')).knex;
    db.on('query', countReads);
  });
  beforeEach(() => {
    signal = createEventSignal(undefined, recordingLogger().logger);
    reads = 0;
  });
  afterEach(async () => {
    for (const { sink } of running) sink.end();
    await Promise.all(running.splice(0).map(({ done }) => done));
  });
  after(() => db.removeListener('query', countReads));

  /** A user with `count` tasks made in one statement: their events (and their default list's) in the outbox. */
  async function userWithEvents(count: number): Promise<{ userId: string; seqs: number[] }> {
    const userId = `pump-${randomUUID()}`;
    await db('users').insert({ id: userId });
    await db('tasks').insert(
      Array.from({ length: count }, (_, index) => ({ user_id: userId, title: `Task ${index}` })),
    );
    const rows = await db('events').where({ user_id: userId }).orderBy('seq').select<{ seq: number }[]>('seq');
    return { userId, seqs: rows.map((row) => row.seq) };
  }

  function run(userId: string, after: number, heartbeatMs = 60_000, database: Knex = db) {
    const { logger, lines } = recordingLogger();
    const sink = new HeldSink();
    const stream = eventStream({ db: database, signal, settings: { heartbeatMs }, log: logger }, userId, {
      after,
      reset: false,
    });
    const done = stream.run(sink);
    running.push({ sink, done });
    return { sink, lines, done };
  }

  it('catches up a long backlog page by page (100 events a read), in order', async () => {
    const { userId, seqs } = await userWithEvents(250);
    const { sink } = run(userId, 0);
    await pollUntil(() => sink.ids().length === seqs.length, `all ${seqs.length} events`);
    expect(sink.ids()).to.deep.equal(seqs);
    expect(reads, '100 + 100 + 51').to.equal(3);
  });

  it('waits for a client that takes nothing: no more writes, no more reads, however many wake-ups', async () => {
    const { userId, seqs } = await userWithEvents(5);
    const { sink } = run(userId, 0);
    sink.holding = true;
    await pollUntil(() => sink.ids().length === 1, 'the first write');
    const readsWhileHeld = reads;
    for (let wake = 0; wake < 50; wake += 1) signal.announce(userId);
    // The loop is held by one write: whatever happens meanwhile, it writes and reads nothing more.
    await db.raw('select 1');
    expect(sink.ids()).to.have.length(1);
    expect(reads).to.equal(readsWhileHeld);

    sink.release();
    await pollUntil(() => sink.ids().length === seqs.length, 'the rest');
    expect(sink.ids()).to.deep.equal(seqs);
    // The 50 wake-ups while it was held: one read more, not fifty.
    await pollUntil(() => reads >= readsWhileHeld + 1, 'the read the wake-ups asked for');
    expect(reads).to.be.at.most(readsWhileHeld + 2);
  });

  it('cuts off a client that takes nothing for 4 heartbeats', async () => {
    const { userId } = await userWithEvents(3);
    const { sink, lines, done } = run(userId, 0, 20);
    sink.holding = true;
    await done;
    expect(sink.ended).to.equal(true);
    expect(sink.ids(), 'the one write it waited for').to.have.length(1);
    expect(lines.some((line) => line.msg === 'event stream cut off: its client takes nothing')).to.equal(true);
  });

  it('sends a heartbeat only when it sent nothing else since the last one', async () => {
    const { userId, seqs } = await userWithEvents(1);
    const { sink } = run(userId, 0, 30);
    await pollUntil(() => sink.heartbeats() >= 3, 'three heartbeats');
    expect(sink.chunks[0], 'its position first').to.equal('id: 0\n\n');
    expect(sink.chunks.slice(1, 1 + seqs.length).every(isEvent), 'then the backlog').to.equal(true);
    // The first beat after the backlog sends nothing: the backlog was sent since the last one.
    expect(sink.chunks.slice(1 + seqs.length).every((chunk) => chunk === ': heartbeat\n\n')).to.equal(true);
  });

  it('survives a read that fails: warns once, and reads again at the next heartbeat', async () => {
    const { userId, seqs } = await userWithEvents(2);
    let failures = 3;
    // The database as the stream sees it: its first reads fail, as while it is unavailable.
    const flaky = new Proxy(db, {
      get: (target, property) =>
        property === 'transaction' && failures-- > 0
          ? () => Promise.reject(new Error('Connection terminated unexpectedly'))
          : (Reflect.get(target, property, target) as unknown),
    });
    const { sink, lines } = run(userId, 0, 20, flaky);
    await pollUntil(() => sink.ids().length === seqs.length, 'the events, once reads succeed');
    expect(lines.filter((line) => line.level === 40).map((line) => line.msg)).to.deep.equal([
      'event stream could not read the events: trying again at the next heartbeat',
    ]);
    expect(lines.some((line) => line.msg === 'event stream reading again')).to.equal(true);
  });

  it('re-sends nothing when a later page fails: it goes on after the last event it sent', async () => {
    const { userId, seqs } = await userWithEvents(150);
    let transactions = 0;
    // The second page's read fails once, after the first page was sent.
    const flaky = new Proxy(db, {
      get: (target, property) =>
        property === 'transaction' && ++transactions === 2
          ? () => Promise.reject(new Error('Connection terminated unexpectedly'))
          : (Reflect.get(target, property, target) as unknown),
    });
    const { sink } = run(userId, 0, 20, flaky);
    await pollUntil(() => sink.ids().length >= seqs.length, `all ${seqs.length} events`);
    expect(sink.ids()).to.deep.equal(seqs);
  });

  it('ends, letting go of its subscription, when its sink closes', async () => {
    const { userId, seqs } = await userWithEvents(1);
    let subscribed = 0;
    const inner = signal;
    signal = {
      ...inner,
      subscribe(listener) {
        subscribed += 1;
        const unsubscribe = inner.subscribe(listener);
        return () => {
          subscribed -= 1;
          unsubscribe();
        };
      },
    };
    const { sink, done } = run(userId, 0);
    await pollUntil(() => sink.ids().length === seqs.length && subscribed === 1, 'the stream to run');
    sink.end();
    await done;
    expect(subscribed).to.equal(0);
  });
});
