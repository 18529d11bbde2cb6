import net from 'node:net';
import { expect } from 'chai';
import { sharedTestDatabase } from '../helpers/databases.js';
import { cleanUpProcesses, startServer } from '../helpers/server-process.js';
import { assertProblemDocument } from '../helpers/spec-conformance.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { IN_TEST_BOUND_MS, PROCESS_TEST_TIMEOUT_MS, within } from '../helpers/wait.js';

// Requests Node's HTTP parser refuses before the app sees them (not HTTP, a header section too
// large, too slow), sent over raw sockets, since no HTTP client sends them: each is answered with
// a problem document, a request id and the app's security headers, and the connection is closed.
// They never reach the database, so one database kind (the embedded one) is enough.

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Writes `requests` on a fresh connection, each after the server has answered the one before,
 * and reads every response until the server closes the connection (bounded).
 */
async function exchange(baseUrl: string, requests: readonly string[]): Promise<RawResponse[]> {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => undefined); // a reset after the answer is the server's right: 'close' follows
  const received: Buffer[] = [];
  const pending = [...requests];
  socket.on('data', (chunk: Buffer) => {
    received.push(chunk);
    const next = pending.shift();
    if (next !== undefined) socket.write(next);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.once('connect', () => socket.write(pending.shift()!));
  socket.once('end', () => socket.end());
  try {
    await within(closed, IN_TEST_BOUND_MS, 'the server to answer and close the connection');
  } finally {
    socket.destroy();
  }
  return parseResponses(Buffer.concat(received));
}

/** HTTP/1.1 responses one after another, each framed by its Content-Length. */
function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = data;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    expect(headEnd, `a response head in ${JSON.stringify(rest.toString('latin1'))}`).to.be.above(0);
    const [statusLine = '', ...lines] = rest.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3}) \S/.exec(statusLine);
    expect(status, `a status line: ${statusLine}`).to.not.equal(null);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      expect(colon, `a header line: ${line}`).to.be.above(0);
      const name = line.slice(0, colon).toLowerCase();
      expect(headers, `one ${name} header`).not.to.have.property(name);
      headers[name] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length']);
    expect(Number.isInteger(length), 'Content-Length').to.equal(true);
    const bodyStart = headEnd + 4;
    expect(rest.length, 'the whole body, as long as Content-Length says').to.be.at.least(bodyStart + length);
    responses.push({
      status: Number(status![1]),
      headers,
      body: rest.subarray(bodyStart, bodyStart + length).toString(),
    });
    rest = rest.subarray(bodyStart + length);
  }
  return responses;
}

/** The one response to a refused request: a problem document with the status, closing the connection. */
function expectRefusal(responses: RawResponse[], status: number): Record<string, unknown> {
  expect(responses.map((response) => response.status)).to.deep.equal([status]);
  return expectProblemResponse(responses[0]!, status);
}

function expectProblemResponse(response: RawResponse, status: number): Record<string, unknown> {
  const { headers } = response;
  expect(headers['content-type']).to.equal('application/problem+json; charset=utf-8');
  expect(headers.connection).to.equal('close');
  expect(headers['cache-control']).to.equal('no-store');
  expect(headers['x-content-type-options']).to.equal('nosniff');
  expect(headers['content-security-policy']).to.equal("default-src 'none';frame-ancestors 'none'");
  expect(headers['x-frame-options']).to.equal('DENY');
  expect(new Date(headers.date ?? '').getTime()).to.be.closeTo(Date.now(), 60_000);
  const problem = JSON.parse(response.body) as Record<string, unknown>;
  assertProblemDocument(`${status}`, problem);
  expect(problem).to.include({ type: 'about:blank', status });
  expect(problem.detail)
    .to.be.a('string')
    .and.not.match(/HPE_|Parse Error|llhttp/);
  expect(headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  expect(problem.request_id).to.equal(headers['x-request-id']);
  return problem;
}

const HEAD = 'Host: localhost\r\n';

describe('requests Node refuses before the app: problem documents', function () {
  this.timeout(30_000);
  let server: TestServer;
  let slowServer: TestServer;
  before(async () => {
    const db = (await sharedTestDatabase('pglite')).knex;
    server = await startTestServer(db);
    // The shortest request timeout the configuration allows, so that a 408 comes quickly.
    slowServer = await startTestServer(db, { http: { requestTimeoutMs: 1_000 } });
  });
  after(async () => {
    await server?.close();
    await slowServer?.close();
  });

  it('400 for a control character in a header value, logged at warn without the value', async () => {
    const problem = expectRefusal(
      await exchange(server.baseUrl, [`GET /health HTTP/1.1\r\n${HEAD}X-Note: secret-note\x01here\r\n\r\n`]),
      400,
    );
    expect(problem.title).to.equal('Bad Request');
    expect(problem.detail).to.match(/header/);
    expect(problem.instance).to.equal('/health');
    const line = server.logs.find((entry) => entry.request_id === problem.request_id);
    expect(line).to.include({ level: 40, status: 400, code: 'HPE_INVALID_HEADER_TOKEN' });
    expect(JSON.stringify(server.logs)).not.to.include('secret-note');
  });

  it('400 for a malformed request line, without an instance it could not read', async () => {
    const problem = expectRefusal(await exchange(server.baseUrl, [`G@T /health HTTP/1.1\r\n${HEAD}\r\n`]), 400);
    expect(problem.detail).to.match(/method/);
    expect(problem).not.to.have.property('instance');
  });

  it('400 for a duplicate Content-Length (a request-smuggling vector)', async () => {
    const problem = expectRefusal(
      await exchange(server.baseUrl, [
        `POST /api/u/tasks HTTP/1.1\r\n${HEAD}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
      ]),
      400,
    );
    expect(problem.detail).to.match(/Content-Length/);
  });

  it('413 for a Content-Length beyond any number the server reads', async () => {
    const problem = expectRefusal(
      await exchange(server.baseUrl, [
        `POST /api/u/tasks HTTP/1.1\r\n${HEAD}Content-Length: 99999999999999999999999\r\n\r\n`,
      ]),
      413,
    );
    expect(problem.title).to.equal('Payload Too Large');
  });

  it('400 for a Content-Length that is not a number', async () => {
    const problem = expectRefusal(
      await exchange(server.baseUrl, [`POST /api/u/tasks HTTP/1.1\r\n${HEAD}Content-Length: 12abc\r\n\r\n`]),
      400,
    );
    expect(problem.detail).to.match(/Content-Length/);
  });

  it('413 for chunk extensions beyond what Node reads', async () => {
    const problem = expectRefusal(
      await exchange(server.baseUrl, [
        `POST /api/u/tasks HTTP/1.1\r\n${HEAD}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
          `2;ext=${'a'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`,
      ]),
      413,
    );
    expect(problem.detail).to.match(/chunk extensions/);
  });

  it('431 for a 17 kB header', async () => {
    const problem = expectRefusal(
      await exchange(server.baseUrl, [`GET /health HTTP/1.1\r\n${HEAD}X-Big: ${'a'.repeat(17_000)}\r\n\r\n`]),
      431,
    );
    expect(problem.title).to.equal('Request Header Fields Too Large');
    expect(problem.instance).to.equal('/health');
  });

  it('414 for a request line longer than the header limit', async () => {
    const problem = expectRefusal(
      await exchange(server.baseUrl, [`GET /api/${'a'.repeat(20_000)} HTTP/1.1\r\n${HEAD}\r\n`]),
      414,
    );
    expect(problem.title).to.equal('URI Too Long');
    expect(problem.instance)
      .to.have.length(2048)
      .and.match(/^\/api\/a+$/); // cut, as every instance is
  });

  it('408 for a request not received in full within REQUEST_TIMEOUT_MS, about that long after', async () => {
    const started = performance.now();
    const problem = expectRefusal(await exchange(slowServer.baseUrl, [`GET /health HTTP/1.1\r\n${HEAD}`]), 408);
    const ms = performance.now() - started;
    // Node checks the timeout every second: answered between one and two seconds, with room for a busy machine.
    expect(ms).to.be.at.least(900).and.below(5_000);
    expect(problem.title).to.equal('Request Timeout');
    expect(problem.detail).to.match(/within 1 s/);
  });

  it('answers after a complete response on the same connection, and each once', async () => {
    const responses = await exchange(server.baseUrl, [
      `GET /health HTTP/1.1\r\n${HEAD}\r\n`,
      `GET /health HTTP/1.1\r\n${HEAD}X-Bad: a\x7fb\r\n\r\n`,
    ]);
    expect(responses.map((response) => response.status)).to.deep.equal([200, 400]);
    expectProblemResponse(responses[1]!, 400);
  });

  describe('in the server process', () => {
    afterEach(cleanUpProcesses);

    it('answers the same way', async function () {
      this.timeout(PROCESS_TEST_TIMEOUT_MS);
      const running = await startServer();
      const problem = expectRefusal(
        await exchange(running.baseUrl, [`GET /health HTTP/1.1\r\n${HEAD}X-Big: ${'a'.repeat(17_000)}\r\n\r\n`]),
        431,
      );
      await running.waitForLogs(
        (lines) => lines.some((line) => line.request_id === problem.request_id && line.level === 40),
        'the refusal logged at warn',
      );
    });
  });
});
