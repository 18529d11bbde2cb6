import { mock } from 'node:test';
import { expect } from 'chai';
import { createEventSignal, type SignalTransport } from '../../src/events/event-signal.js';
import { recordingLogger } from '../helpers/signals.js';

// How a process's signal publishes (src/events/event-signal.ts), over a transport whose
// publications settle when the test says, the gathering timer driven by Node's mock timers: one
// publication at a time, whatever is announced meanwhile in the next; a failed one is logged and
// the next goes out all the same; closing waits for the one under way, then sends the rest.

/** Longer than any gathering period. */
const PAST_GATHERING_MS = 1000;

interface Publication {
  readonly users: string[];
  settle(error?: Error): void;
}

function heldTransport(): { transport: SignalTransport; publications: Publication[] } {
  const publications: Publication[] = [];
  const transport: SignalTransport = {
    publish: (messages) =>
      new Promise<void>((resolve, reject) => {
        // Each message is [sender, ...users].
        const users = messages.flatMap((message) => (JSON.parse(message) as string[]).slice(1));
        publications.push({ users, settle: (error) => (error ? reject(error) : resolve()) });
      }),
    start: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return { transport, publications };
}

/** Lets the settled publication's callbacks run (setImmediate is not mocked). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('event signal publications', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('publishes one at a time: what is announced meanwhile goes in the next, all of it at once', async () => {
    const { transport, publications } = heldTransport();
    const signal = createEventSignal(transport, recordingLogger().logger);
    signal.announce('a');
    mock.timers.tick(PAST_GATHERING_MS);
    expect(publications.map((p) => p.users)).to.deep.equal([['a']]);
    signal.announce('b');
    signal.announce('c');
    mock.timers.tick(PAST_GATHERING_MS);
    expect(publications, 'none while one is under way').to.have.length(1);
    publications[0]!.settle();
    await settled();
    mock.timers.tick(PAST_GATHERING_MS);
    expect(publications.map((p) => p.users)).to.deep.equal([['a'], ['b', 'c']]);
    publications[1]!.settle();
    await signal.close();
  });

  it('logs a publication that failed, and publishes the next all the same', async () => {
    const { transport, publications } = heldTransport();
    const { logger, lines } = recordingLogger();
    const signal = createEventSignal(transport, logger);
    signal.announce('a');
    mock.timers.tick(PAST_GATHERING_MS);
    publications[0]!.settle(new Error('connection refused'));
    await settled();
    expect(lines.map((line) => [line.level, line.msg])).to.deep.equal([
      [40, 'could not tell the other processes of new events (their streams catch up at their next heartbeat)'],
    ]);
    signal.announce('b');
    mock.timers.tick(PAST_GATHERING_MS);
    expect(publications.map((p) => p.users)).to.deep.equal([['a'], ['b']]);
    publications[1]!.settle();
    await signal.close();
  });

  it('when closed, waits for the publication under way, then sends what was announced meanwhile', async () => {
    const { transport, publications } = heldTransport();
    const signal = createEventSignal(transport, recordingLogger().logger);
    signal.announce('a');
    mock.timers.tick(PAST_GATHERING_MS);
    signal.announce('b');
    let closed = false;
    const closing = signal.close().then(() => (closed = true));
    publications[0]!.settle();
    await settled();
    expect(publications.map((p) => p.users)).to.deep.equal([['a'], ['b']]);
    expect(closed, 'closed before its last publication settled').to.equal(false);
    publications[1]!.settle();
    await closing;
  });
});
