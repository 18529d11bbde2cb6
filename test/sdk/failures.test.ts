import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import {
  Configuration,
  FetchError,
  RequestTimeoutError,
  SystemApi,
  UsersApi,
  type ConfigurationParameters,
} from '../../generated/sdk/dist/index.js';
import { freePort } from '../helpers/throwaway-postgres.js';
import { tokenFor } from '../helpers/tokens.js';
import { IN_TEST_BOUND_MS, within } from '../helpers/wait.js';
import { describeSdk } from './sdk-suite.js';

/** A real HTTP server that takes requests and answers them only as `handle` does (by default: never). */
class StallingServer {
  readonly requests: IncomingMessage[] = [];
  private readonly server: Server;

  private constructor(handle: (response: ServerResponse) => void) {
    this.server = createServer((request, response) => {
      this.requests.push(request);
      handle(response);
    });
  }

  static async start(handle: (response: ServerResponse) => void = () => undefined): Promise<StallingServer> {
    const stalling = new StallingServer(handle);
    stalling.server.listen(0, '127.0.0.1');
    await once(stalling.server, 'listening');
    return stalling;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once a request has arrived. */
  async requestArrived(): Promise<void> {
    const wait = async () => {
      while (this.requests.length === 0) await once(this.server, 'request');
    };
    await within(wait(), IN_TEST_BOUND_MS, 'a request to reach the stalling server');
  }

  /** Resolves once a request has arrived and its client has closed the connection (as an aborted fetch does). */
  async requestClosedByClient(): Promise<void> {
    await this.requestArrived();
    const wait = async () => {
      const [request] = this.requests;
      if (!request!.socket.destroyed) await once(request!.socket, 'close');
    };
    await within(wait(), IN_TEST_BOUND_MS, 'the client to close its request to the stalling server');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** What `promise` rejected with; fails the test if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => expect.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (reason: unknown) => reason,
  );
}

describe('SDK failures without an answer: typed errors, timeouts, cancellation', () => {
  let stalling: StallingServer | undefined;
  afterEach(async () => stalling?.close());
  const system = (parameters: ConfigurationParameters) => new SystemApi(new Configuration(parameters));

  it('a refused connection is a FetchError naming the request, with fetch’s error as its cause', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await rejection(system({ basePath: url }).getHealth());
    expect(error).to.be.instanceOf(FetchError).and.not.instanceOf(RequestTimeoutError);
    const fetchError = error as FetchError;
    expect(fetchError).to.include({ name: 'FetchError', method: 'GET', url: `${url}/health` });
    expect(fetchError.message).to.match(/^GET http:\/\/127\.0\.0\.1:\d+\/health failed: fetch failed \(.*ECONNREFUSED/);
    // Undici's TypeError, whose own cause is the socket's error.
    expect(fetchError.cause).to.be.instanceOf(TypeError);
    expect(((fetchError.cause as TypeError).cause as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
  });

  it('a failure whose cause has no message (an AggregateError, when every address of a name refused) is named by its code', async () => {
    // What undici throws when it tried ::1 and 127.0.0.1 for localhost and both refused.
    const refusedEverywhere = Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' });
    const fetchApi = () => Promise.reject(new TypeError('fetch failed', { cause: refusedEverywhere }));
    const error = await rejection(system({ basePath: 'http://localhost:8000', fetchApi }).getHealth());
    expect(error).to.be.instanceOf(FetchError).and.include({
      message: 'GET http://localhost:8000/health failed: fetch failed (ECONNREFUSED)',
    });
  });

  it("a server that never answers is a RequestTimeoutError (a FetchError) after the Configuration's timeoutMs, and the request is closed", async () => {
    stalling = await StallingServer.start();
    const started = performance.now();
    const error = await rejection(system({ basePath: stalling.baseUrl, timeoutMs: 300 }).getHealth());
    const elapsed = performance.now() - started;
    expect(error).to.be.instanceOf(RequestTimeoutError).and.instanceOf(FetchError);
    expect(error).to.include({
      name: 'RequestTimeoutError',
      timeoutMs: 300,
      message: `GET ${stalling.baseUrl}/health timed out after 300 ms`,
    });
    expect(elapsed).to.be.at.least(295);
    await stalling.requestClosedByClient();
  });

  it("a call's own timeoutMs overrides the Configuration's", async () => {
    stalling = await StallingServer.start();
    const api = system({ basePath: stalling.baseUrl, timeoutMs: 60_000 });
    const error = await rejection(api.getHealth({ timeoutMs: 200 }));
    expect(error).to.be.instanceOf(RequestTimeoutError).and.include({ timeoutMs: 200 });
  });

  it('a body that stops coming also times out, with the same typed error', async () => {
    stalling = await StallingServer.start((response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"status":');
    });
    const error = await rejection(system({ basePath: stalling.baseUrl, timeoutMs: 300 }).getHealth());
    expect(error).to.be.instanceOf(RequestTimeoutError);
  });

  it('an aborted signal rejects with its AbortError, which is no FetchError, and closes the request', async () => {
    stalling = await StallingServer.start();
    const controller = new AbortController();
    const call = system({ basePath: stalling.baseUrl, timeoutMs: 60_000 }).getHealth({ signal: controller.signal });
    await stalling.requestArrived();
    controller.abort();
    const error = await rejection(call);
    expect(error).to.be.instanceOf(DOMException).and.not.instanceOf(FetchError);
    expect(error).to.include({ name: 'AbortError' });
    await stalling.requestClosedByClient();
  });

  it("an abort with a reason of the caller's rejects with that reason", async () => {
    stalling = await StallingServer.start();
    const reason = new Error('the user left the page');
    const error = await rejection(
      system({ basePath: stalling.baseUrl }).getHealth({ signal: AbortSignal.abort(reason) }),
    );
    expect(error).to.equal(reason);
  });
});

describeSdk('SDK options of one call, against the API', (suite) => {
  it('a call with a signal and a timeout that neither fires answers as usual, with its own headers sent', async () => {
    const id = `sdk-${randomUUID()}`;
    // No accessToken in the Configuration: the call's own Authorization header is all the server gets.
    const users = new UsersApi(suite.configuration({ timeoutMs: 10_000 }));
    const me = await users.getCurrentUser({
      signal: new AbortController().signal,
      timeoutMs: 10_000,
      headers: { Authorization: `Bearer ${await tokenFor(id)}` },
    });
    expect(me.id).to.equal(id);
  });
});
