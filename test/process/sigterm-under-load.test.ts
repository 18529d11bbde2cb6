import { expect } from 'chai';
import http from 'node:http';
import { cleanUpProcesses, startServer, type LogLine } from '../helpers/server-process.js';
import { tokenFor } from '../helpers/tokens.js';
import { EVENT_BOUND_MS, EXIT_BOUND_MS, PROCESS_TEST_TIMEOUT_MS, within } from '../helpers/wait.js';

// The real server process under a steady stream of concurrent keep-alive requests gets SIGTERM
// in the middle. Whether the server accepted a request is read from its own log (every request it
// handles is logged with the X-Request-Id the client chose): each of those must have reached its
// client complete; every failure the clients saw must be a request the server never accepted.
// "In the middle" is decided by events, not by a clock: SIGTERM once the answers flow (a loaded
// machine takes longer to get there), and each client keeps sending until the server refuses it.

const CONCURRENCY = 50;
/** SIGTERM once this many answers have come back. */
const ANSWERS_BEFORE_SIGTERM = 2 * CONCURRENCY;

interface Outcome {
  readonly id: string;
  readonly status?: number;
  readonly connection?: string;
  readonly error?: string;
}

describe('the server as a process: SIGTERM under load', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  afterEach(cleanUpProcesses);

  it('answers every request it accepted in full, closes kept-alive connections after them, then exits 0', async () => {
    // No rate limits: the load runs until the events above, which on a loaded machine is long
    // enough to meet the per-user limit (600 a minute); what is checked here is every answer. No
    // load shedding either: on the embedded database's one connection, a starved machine could
    // queue past its budget while the clients are slow to send again.
    const server = await startServer({
      env: {
        RATE_LIMIT_PER_ADDRESS: '0',
        RATE_LIMIT_PER_USER: '0',
        RATE_LIMIT_IN_FLIGHT_PER_USER: '0',
        LOAD_SHED_WAIT_MS: '0',
        TRUST_PROXY: 'loopback',
      },
    });
    const token = await tokenFor('alice');
    // Warmed up first (the validator compiles the spec on first use), so the load is a steady one.
    const warmUp = await send(`${server.baseUrl}/api/alice/tasks?limit=5`, token, new http.Agent(), 'warm-up');
    expect(warmUp.status, warmUp.error).to.equal(200);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const outcomes: Outcome[] = [];
    let steady: () => void;
    const loadIsSteady = new Promise<void>((resolve) => (steady = resolve));
    let sequence = 0;
    let answers = 0;
    let exited = false;
    void server.exited.then(() => (exited = true));

    // Until the server refuses (it no longer listens), or has exited: then nothing more can be accepted.
    const client = async (worker: number) => {
      while (!exited) {
        const outcome = await send(
          `${server.baseUrl}/api/alice/tasks?limit=5`,
          token,
          agent,
          `load-${worker}-${sequence++}`,
        );
        outcomes.push(outcome);
        if (outcome.status !== undefined) answers += 1;
        if (answers >= ANSWERS_BEFORE_SIGTERM) steady();
        if (outcome.error === 'ECONNREFUSED') return;
      }
    };
    const load = Promise.all(Array.from({ length: CONCURRENCY }, (_, worker) => client(worker)));
    const progress = () => `; ${answers} answers and ${outcomes.length - answers} failures so far`;
    await within(loadIsSteady, EVENT_BOUND_MS, `${ANSWERS_BEFORE_SIGTERM} answers`, progress);
    server.signal('SIGTERM');
    await within(load, EXIT_BOUND_MS, 'every client to be refused after SIGTERM', progress);
    agent.destroy();
    expect(await server.waitForExit()).to.deep.equal({ code: 0, signal: null });

    const logs = server.logs();
    expect(logs.some((line) => String(line.msg).startsWith('shutting down'))).to.equal(true);
    const accepted = new Set(logs.flatMap((line) => requestIdOf(line) ?? []).filter((id) => id.startsWith('load-')));
    const answered = outcomes.filter((outcome) => outcome.status !== undefined);
    const failed = outcomes.filter((outcome) => outcome.error !== undefined);
    const summary = `${answered.length} answered, ${failed.length} failed (${[...new Set(failed.map((outcome) => outcome.error))].join(', ')})`;

    expect(answered.length, summary).to.be.above(CONCURRENCY);
    expect(
      answered.every((outcome) => outcome.status === 200),
      summary,
    ).to.equal(true);
    for (const id of accepted) {
      const outcome = outcomes.find((candidate) => candidate.id === id);
      expect(
        outcome?.status,
        `${id} was accepted by the server; the client saw ${outcome?.error ?? 'nothing'}`,
      ).to.equal(200);
    }
    for (const outcome of failed) {
      expect(
        accepted.has(outcome.id),
        `${outcome.id} failed with ${outcome.error} although the server accepted it`,
      ).to.equal(false);
      expect(outcome.error).to.be.oneOf(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up']);
    }
    // The requests in flight at SIGTERM told their clients not to reuse the connection.
    expect(
      outcomes.some((outcome) => outcome.connection === 'close'),
      summary,
    ).to.equal(true);
  });
});

function send(url: string, token: string, agent: http.Agent, id: string): Promise<Outcome> {
  return new Promise((resolve) => {
    // A bound on a silent server only: an answer comes in milliseconds, or in seconds on a loaded machine.
    const req = http.get(
      url,
      { agent, headers: { authorization: `Bearer ${token}`, 'x-request-id': id }, timeout: EVENT_BOUND_MS },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.once('error', (error: NodeJS.ErrnoException) => resolve({ id, error: error.code ?? error.message }));
        // A complete answer: the whole body arrived and parses.
        res.once('end', () => {
          try {
            JSON.parse(body);
            resolve({ id, status: res.statusCode, connection: res.headers.connection });
          } catch {
            resolve({ id, error: 'incomplete body' });
          }
        });
      },
    );
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.once('error', (error: NodeJS.ErrnoException) => resolve({ id, error: error.code ?? error.message }));
  });
}

function requestIdOf(line: LogLine): string | undefined {
  const req = line.req as { id?: unknown } | undefined;
  return typeof req?.id === 'string' ? req.id : undefined;
}
