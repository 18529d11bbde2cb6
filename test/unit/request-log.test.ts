import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { loadSpec } from '../../src/contract/spec-document.js';
import { headAsGet } from '../../src/http/head-as-get.js';
import { OperationIndex, resolveOperations } from '../../src/http/operation-index.js';
import { logAsRefusal, logFailure, requestLog } from '../../src/http/request-log.js';
import { createLogger } from '../../src/logger.js';
import { IN_TEST_BOUND_MS, pollUntil, within } from '../helpers/wait.js';

/** The parts of a line these tests read. */
interface LogLine {
  level: number;
  msg: string;
  req?: { id?: string; method?: string; url?: string };
  operation?: string;
  res?: { statusCode: number | null };
  responseTime?: number;
  err?: { message?: string };
  user_id?: string;
}

const INFO = 30;
const WARN = 40;
const ERROR = 50;

/** The request log as src/app.ts mounts it (after the operation is resolved, before HEAD runs as GET), over `routes`. */
interface LoggedApp {
  readonly baseUrl: string;
  readonly lines: LogLine[];
  /** How many child loggers were made since the app was built (a request's `req.log` is one). */
  readonly childrenMade: () => number;
  close(): Promise<void>;
}

async function startLoggedApp(level: 'info' | 'warn', routes: (app: Express) => void): Promise<LoggedApp> {
  const lines: LogLine[] = [];
  const logger = createLogger(
    { logLevel: level, logFormat: 'json' },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  const app = express();
  app.use(resolveOperations(new OperationIndex(loadSpec())));
  app.use(requestLog(logger));
  app.use(headAsGet());
  routes(app);
  const childrenMade = countChildren(logger);
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    lines,
    childrenMade,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function countChildren(logger: Logger): () => number {
  let made = 0;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the `this` it was called with
  const child = logger.child;
  logger.child = function (this: Logger, ...args: Parameters<Logger['child']>) {
    made += 1;
    return child.apply(this, args);
  } as Logger['child'];
  return () => made;
}

/** The line of the request with this X-Request-Id (written as its response closes, which the client may see first). */
async function lineOf(app: LoggedApp, response: Response): Promise<LogLine> {
  const id = response.headers.get('x-request-id') ?? expect.fail('no X-Request-Id');
  const found = () => app.lines.filter((line) => line.req?.id === id && line.res !== undefined);
  await pollUntil(() => found().length > 0, `the line of request ${id}`, { ms: IN_TEST_BOUND_MS, everyMs: 5 });
  expect(found(), `the lines of request ${id}`).to.have.lengthOf(1);
  return found()[0]!;
}

describe('the request log', () => {
  let app: LoggedApp | undefined;
  afterEach(async () => app?.close());

  it('makes no logger for a request whose handlers write nothing: its line is written by the log itself', async () => {
    app = await startLoggedApp('info', (routes) => routes.get('/health', (_req, res) => void res.json({})));
    const response = await fetch(`${app.baseUrl}/health`);
    const line = await lineOf(app, response);
    expect(line).to.include({ level: INFO, operation: 'getHealth' });
    expect(app.childrenMade()).to.equal(0);
  });

  it("makes `req.log` once, when a handler first reads it, with the request's id, method, URL and operation", async () => {
    app = await startLoggedApp('info', (routes) =>
      routes.get('/api/:user/tasks', (req, res) => {
        req.log.info('first');
        req.log.info('second');
        res.json({});
      }),
    );
    const response = await fetch(`${app.baseUrl}/api/alice/tasks?limit=1`);
    const id = response.headers.get('x-request-id');
    await lineOf(app, response);
    const own = app.lines.filter((line) => line.msg === 'first' || line.msg === 'second');
    expect(own).to.have.lengthOf(2);
    for (const line of own) {
      expect(line.req).to.include({ id, method: 'GET', url: '/api/alice/tasks?limit=1' });
      expect(line.operation).to.equal('listTasks');
    }
    expect(app.childrenMade(), 'one logger for the request').to.equal(1);
  });

  it('writes nothing for a request whose line is below the level, and the line of one at it', async () => {
    app = await startLoggedApp('warn', (routes) => {
      routes.get('/health', (_req, res) => void res.json({}));
      routes.get('/ready', (_req, res) => void res.status(404).json({}));
    });
    await (await fetch(`${app.baseUrl}/health`)).arrayBuffer(); // closed before the next request is answered
    const line = await lineOf(app, await fetch(`${app.baseUrl}/ready`));
    expect(line).to.include({ level: WARN, msg: `GET /ready 404 ${line.responseTime} ms` });
    expect(app.lines, 'the 200 wrote no line').to.have.lengthOf(1);
  });

  it('logs a client error at warn, a refusal by a limit (429) and a success at info, a server error at error', async () => {
    app = await startLoggedApp('info', (routes) =>
      routes.get('/status/:code', (req, res) => void res.status(Number(req.params.code)).end()),
    );
    const levels: Record<string, number> = {};
    for (const code of [200, 304, 400, 404, 429, 500, 503]) {
      levels[code] = (await lineOf(app, await fetch(`${app.baseUrl}/status/${code}`))).level;
    }
    expect(levels).to.deep.equal({ 200: INFO, 304: INFO, 400: WARN, 404: WARN, 429: INFO, 500: ERROR, 503: ERROR });
  });

  it("holds the error a 500 answers (the error handler's `logFailure`), and the caller", async () => {
    app = await startLoggedApp('info', (routes) =>
      routes.get('/api/:user/tasks', (req, res) => {
        req.user = { id: 'alice' } as Express.User;
        logFailure(res, new Error('relation "tasks" does not exist'));
        res.status(500).json({});
      }),
    );
    const line = await lineOf(app, await fetch(`${app.baseUrl}/api/alice/tasks`));
    expect(line).to.include({ level: ERROR, user_id: 'alice', operation: 'listTasks' });
    expect(line.err?.message).to.equal('relation "tasks" does not exist');
    expect(line.msg).to.equal(`GET /api/alice/tasks 500 ${line.responseTime} ms relation "tasks" does not exist`);
  });

  it('logs a 503 that refuses a request for overload (`logAsRefusal`) at info, without an error', async () => {
    app = await startLoggedApp('info', (routes) =>
      routes.get('/api/:user/tasks', (_req, res) => {
        logAsRefusal(res);
        res.status(503).json({});
      }),
    );
    const line = await lineOf(app, await fetch(`${app.baseUrl}/api/alice/tasks`));
    expect(line).to.include({ level: INFO, msg: `GET /api/alice/tasks 503 ${line.responseTime} ms` });
    expect(line.err).to.equal(undefined);
  });

  it('says that a 5xx without an error failed with its status', async () => {
    app = await startLoggedApp('info', (routes) => routes.get('/ready', (_req, res) => void res.status(503).end()));
    const line = await lineOf(app, await fetch(`${app.baseUrl}/ready`));
    expect(line.err?.message).to.equal('failed with status code 503');
    expect(line.msg).to.equal(`GET /ready 503 ${line.responseTime} ms failed with status code 503`);
  });

  it('writes one line, the error, for a response that failed as a stream', async () => {
    app = await startLoggedApp('info', (routes) =>
      routes.get('/health', (_req, res) => {
        res.emit('error', new Error('the stream broke'));
        res.json({});
      }),
    );
    const line = await lineOf(app, await fetch(`${app.baseUrl}/health`));
    expect(line).to.include({ level: ERROR });
    expect(line.err?.message).to.equal('the stream broke');
  });

  it('marks a request whose client went away before the answer, without a status', async () => {
    let arrived: () => void = () => undefined;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    app = await startLoggedApp('info', (routes) => routes.get('/health', () => arrived())); // never answers
    const client = new AbortController();
    const request = fetch(`${app.baseUrl}/health`, { signal: client.signal }).catch(() => undefined);
    await within(arrival, IN_TEST_BOUND_MS, 'the request to arrive');
    client.abort();
    await request;
    await pollUntil(() => app!.lines.length > 0, 'the line of the abandoned request', { ms: IN_TEST_BOUND_MS });
    const [line] = app.lines;
    expect(line!.msg).to.match(/^GET \/health - \d+ ms \(aborted\)$/);
    expect(line!.res).to.deep.equal({ statusCode: null });
  });

  it('logs a HEAD request as HEAD, though it runs as the GET operation', async () => {
    app = await startLoggedApp('info', (routes) => routes.get('/health', (_req, res) => void res.json({})));
    const line = await lineOf(app, await fetch(`${app.baseUrl}/health`, { method: 'HEAD' }));
    expect(line.req?.method).to.equal('HEAD');
    expect(line.msg).to.equal(`HEAD /health 200 ${line.responseTime} ms`);
  });
});
