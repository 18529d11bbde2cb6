import { expect } from 'chai';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanUpProcesses, startServer, type LogLine } from '../helpers/server-process.js';
import { tokenFor } from '../helpers/tokens.js';

// The real server process under a steady stream of concurrent keep-alive requests gets SIGTERM
// in the middle. Whether the server accepted a request is read from its own log (every request it
// handles is logged with the X-Request-Id the client chose): each of those must have reached its
// client complete; every failure the clients saw must be a request the server never accepted.

const CONCURRENCY = 50;
const SIGTERM_AFTER_MS = 1_000;
/** Every client stops sending by then, refused or not. */
const LOAD_FOR_MS = 2_000;

interface Outcome {
  readonly id: string;
  readonly status?: number;
  readonly connection?: string;
  readonly error?: string;
}

describe('the server as a process: SIGTERM under load', function () {
  this.timeout(60_000);
  afterEach(cleanUpProcesses);

  it('answers every request it accepted in full, closes kept-alive connections after them, then exits 0', async () => {
    const server = await startServer();
    const token = await tokenFor('alice');
    // Warmed up first (the validator compiles the spec on first use), so the load is a steady one.
    const warmUp = await send(`${server.baseUrl}/api/alice/tasks?limit=5`, token, new http.Agent(), 'warm-up');
    expect(warmUp.status, warmUp.error).to.equal(200);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const outcomes: Outcome[] = [];
    const until = Date.now() + LOAD_FOR_MS;
    let sequence = 0;

    const client = async (worker: number) => {
      while (Date.now() < until) {
        const outcome = await send(`${server.baseUrl}/api/alice/tasks?limit=5`, token, agent, `load-${worker}-${sequence++}`);
        outcomes.push(outcome);
        if (outcome.error === 'ECONNREFUSED') return; // the server no longer listens
      }
    };
    const load = Promise.all(Array.from({ length: CONCURRENCY }, (_, worker) => client(worker)));
    await sleep(SIGTERM_AFTER_MS);
    server.signal('SIGTERM');
    await load;
    agent.destroy();
    expect(await server.waitForExit()).to.deep.equal({ code: 0, signal: null });

    const logs = server.logs();
    expect(logs.some((line) => String(line.msg).startsWith('shutting down'))).to.equal(true);
    const accepted = new Set(logs.flatMap((line) => requestIdOf(line) ?? []).filter((id) => id.startsWith('load-')));
    const answered = outcomes.filter((outcome) => outcome.status !== undefined);
    const failed = outcomes.filter((outcome) => outcome.error !== undefined);
    const summary = `${answered.length} answered, ${failed.length} failed (${[...new Set(failed.map((outcome) => outcome.error))].join(', ')})`;

    expect(answered.length, summary).to.be.above(CONCURRENCY);
    expect(answered.every((outcome) => outcome.status === 200), summary).to.equal(true);
    for (const id of accepted) {
      const outcome = outcomes.find((candidate) => candidate.id === id);
      expect(outcome?.status, `${id} was accepted by the server; the client saw ${outcome?.error ?? 'nothing'}`).to.equal(200);
    }
    for (const outcome of failed) {
      expect(accepted.has(outcome.id), `${outcome.id} failed with ${outcome.error} although the server accepted it`).to.equal(false);
      expect(outcome.error).to.be.oneOf(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up']);
    }
    // The requests in flight at SIGTERM told their clients not to reuse the connection.
    expect(outcomes.some((outcome) => outcome.connection === 'close'), summary).to.equal(true);
  });
});

function send(url: string, token: string, agent: http.Agent, id: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${token}`, 'x-request-id': id }, timeout: 10_000 }, (res) => {
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
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.once('error', (error: NodeJS.ErrnoException) => resolve({ id, error: error.code ?? error.message }));
  });
}

function requestIdOf(line: LogLine): string | undefined {
  const req = line.req as { id?: unknown } | undefined;
  return typeof req?.id === 'string' ? req.id : undefined;
}
