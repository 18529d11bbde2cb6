import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { prettyFactory } from 'pino-pretty';
import { prettyOptions } from '../../src/logger.js';
import { describeEachDatabase } from '../helpers/api-suite.js';
import { request, TestUser, type ApiResponse, type Problem, type Task } from '../helpers/api-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { nowSeconds, signRaw } from '../helpers/tokens.js';
import { IN_TEST_BOUND_MS, pollUntil } from '../helpers/wait.js';

/** The parts of a pino JSON line these tests read. */
interface LogLine {
  level: number;
  msg?: string;
  user_id?: string;
  operation?: string;
  responseTime?: number;
  req?: { id?: string; method?: string; url?: string; remoteAddress?: string; headers?: Record<string, unknown> };
  res?: { statusCode?: number; headers?: unknown };
  err?: unknown;
  audit?: { action: string; user_id: string; task_id: number };
}

/** pino's level for `error`. */
const ERROR_LEVEL = 50;

describeEachDatabase('logging', (suite) => {
  const lines = () => suite.server().logs as unknown as LogLine[];
  const requestIdOf = (response: ApiResponse) =>
    response.headers.get('x-request-id') ?? expect.fail('no X-Request-Id header');

  /** A request's line is written when its response closes, which the client may see first: polled, bounded. */
  async function completionLine(requestId: string, log: () => LogLine[] = lines): Promise<LogLine> {
    const found = () => log().filter((line) => line.req?.id === requestId && line.res !== undefined);
    await pollUntil(() => found().length > 0, `the log line of request ${requestId}`, {
      ms: IN_TEST_BOUND_MS,
      everyMs: 10,
    });
    expect(found(), `one completion line for request ${requestId}`).to.have.lengthOf(1);
    return found()[0]!;
  }

  const auditLines = (user: TestUser) => lines().filter((line) => line.audit?.user_id === user.id);
  const textOf = (log: LogLine[]) => log.map((line) => JSON.stringify(line)).join('\n');

  describe("each request's log line", () => {
    it('carries the request id of the X-Request-Id response header and the caller as user_id', async () => {
      const alice = suite.newUser();
      const response = await alice.call('GET', '/tasks');
      expect(response.status).to.equal(200);
      const line = await completionLine(requestIdOf(response));
      expect(line.user_id).to.equal(alice.id);
      expect(line.req).to.include({ method: 'GET', url: `/api/${alice.id}/tasks` });
      expect(line.res?.statusCode).to.equal(200);
    });

    it('holds what an operator searches by, and of the headers only User-Agent (about 0.35 kB, was 1.3 kB)', async () => {
      const alice = suite.newUser();
      const response = await alice.call('GET', '/tasks?status=open', {
        headers: { 'user-agent': 'logging-test/1', 'accept-language': 'fr', 'x-custom': 'bulk' },
      });
      expect(response.status).to.equal(200);
      const line = await completionLine(requestIdOf(response));
      const url = `/api/${alice.id}/tasks?status=open`;
      expect(line.req).to.deep.equal({
        id: requestIdOf(response),
        method: 'GET',
        url,
        remoteAddress: '127.0.0.1',
        headers: { 'user-agent': 'logging-test/1' },
      });
      expect(line.res, "the response's headers (the fixed security headers) are not logged").to.deep.equal({
        statusCode: 200,
      });
      expect(line).to.include({ operation: 'listTasks', user_id: alice.id });
      expect(line.responseTime).to.be.a('number');
      expect(line.msg).to.equal(`GET ${url} 200 ${line.responseTime} ms`);
      expect(JSON.stringify(line).length, 'the JSON line').to.be.below(600);
    });

    it("keeps a trusted proxy's safe X-Request-Id in the header, the error body and the log", async () => {
      const behindProxy = await startTestServer(suite.database().knex, { http: { trustProxy: 'loopback' } });
      try {
        const alice = new TestUser(behindProxy.baseUrl);
        const incoming = `proxy-${randomUUID()}`;
        const response = await alice.call<Problem>('GET', '/tasks/987654321', {
          headers: { 'x-request-id': incoming },
        });
        expect(response.status).to.equal(404);
        expect(requestIdOf(response)).to.equal(incoming);
        expect(response.body.request_id).to.equal(incoming);
        const logged = () =>
          (behindProxy.logs as unknown as LogLine[]).filter((line) => line.req?.id === incoming && line.res);
        await pollUntil(() => logged().length === 1, `the log line of request ${incoming}`, {
          ms: IN_TEST_BOUND_MS,
          everyMs: 10,
        });
        expect(logged()[0]!.user_id).to.equal(alice.id);
      } finally {
        await behindProxy.close();
      }
    });

    it("logs its own id, not a client's safe one, without TRUST_PROXY (no one picks the id of another's audit line)", async () => {
      const alice = suite.newUser();
      const chosen = `client-${randomUUID()}`;
      const response = await alice.call('GET', '/tasks', { headers: { 'x-request-id': chosen } });
      const generated = requestIdOf(response);
      expect(generated).to.not.equal(chosen);
      expect((await completionLine(generated)).user_id).to.equal(alice.id);
      expect(lines().some((candidate) => candidate.req?.id === chosen)).to.equal(false);
    });

    it('logs the generated id, not an unsafe incoming one', async () => {
      const alice = suite.newUser();
      const unsafe = `evil id ${randomUUID()}`;
      const response = await alice.call('GET', '/tasks', { headers: { 'x-request-id': unsafe } });
      const generated = requestIdOf(response);
      expect(generated).to.not.equal(unsafe);
      const line = await completionLine(generated);
      expect(line.user_id).to.equal(alice.id);
      expect(lines().some((candidate) => candidate.req?.id === unsafe)).to.equal(false);
    });

    it('names the user on the line of a refused (403) request too', async () => {
      const alice = suite.newUser();
      const response = await alice.call('GET', `/api/${suite.newUser().id}/tasks`);
      expect(response.status).to.equal(403);
      expect((await completionLine(requestIdOf(response))).user_id).to.equal(alice.id);
    });

    it('has no user_id when the request was not authenticated', async () => {
      const response = await request(suite.server().baseUrl, 'GET', `/api/user-${randomUUID()}/tasks`);
      expect(response.status).to.equal(401);
      const line = await completionLine(requestIdOf(response));
      expect(line).to.not.have.property('user_id');
      expect(line.res?.statusCode).to.equal(401);
    });

    it('has no user_id on a public operation', async () => {
      const response = await request(suite.server().baseUrl, 'GET', '/health');
      expect((await completionLine(requestIdOf(response))).user_id).to.equal(undefined);
    });
  });

  describe('credentials, at info', () => {
    it('logs no Authorization or Cookie header at all', async () => {
      const alice = suite.newUser();
      const token = await alice.bearer();
      const response = await alice.call('GET', '/tasks', { headers: { cookie: 'sid=at-info' } });
      const line = await completionLine(requestIdOf(response));
      expect(line.req?.headers).to.not.have.any.keys('authorization', 'cookie');
      expect(textOf(lines())).to.not.include(token).and.not.include('sid=at-info');
    });
  });

  // At debug every request header is logged: these are the ones that must be redacted.
  describe('credentials, at debug (every header logged)', () => {
    let debugServer: TestServer | undefined;
    before(async () => {
      debugServer = await startTestServer(suite.database().knex, { logLevel: 'debug' });
    });
    after(async () => debugServer?.close());
    const debugLines = () => (debugServer?.logs ?? []) as unknown as LogLine[];
    const debugLine = (response: ApiResponse) => completionLine(requestIdOf(response), debugLines);
    const debugUser = () => new TestUser(debugServer!.baseUrl);

    it('logs the request headers', async () => {
      const response = await request(debugServer!.baseUrl, 'GET', '/health', { headers: { 'x-custom': 'shown' } });
      expect((await debugLine(response)).req?.headers).to.include({ 'x-custom': 'shown' });
    });

    it('never writes a valid token, on success or failure, anywhere in the log', async () => {
      const alice = debugUser();
      const token = await alice.bearer();
      const task = await alice.createTask();
      const responses = [
        await alice.call('GET', '/tasks'),
        await alice.call('PATCH', `/tasks/${task.id}`, { json: { title: 'Renamed' } }),
        await alice.call('GET', '/tasks/987654321'), // 404
        await alice.call('POST', '/tasks', { json: { title: '' } }), // 400
        await alice.call('GET', `/api/${debugUser().id}/tasks`), // 403
        await alice.call('DELETE', `/tasks/${task.id}`),
      ];
      for (const response of responses) {
        const line = await debugLine(response);
        expect(line.req?.headers?.authorization, `request ${line.req?.id}`).to.equal('[redacted]');
      }
      const text = textOf(debugLines());
      expect(text).to.not.include(token);
      expect(text, 'the signature alone').to.not.include(token.split('.')[2]!);
    });

    const refusedTokens: { name: string; token: () => Promise<string> }[] = [
      { name: 'an expired token', token: () => signRaw({ sub: `user-${randomUUID()}`, exp: nowSeconds() - 60 }) },
      {
        name: 'a token signed with another secret',
        token: () =>
          signRaw(
            { sub: `user-${randomUUID()}`, exp: nowSeconds() + 60 },
            { secret: 'some-other-secret-that-is-long-enough-000' },
          ),
      },
      { name: 'a token without exp', token: () => signRaw({ sub: `user-${randomUUID()}` }) },
    ];
    for (const refused of refusedTokens) {
      it(`never writes ${refused.name} into the log`, async () => {
        const token = await refused.token();
        const response = await request(debugServer!.baseUrl, 'GET', `/api/user-${randomUUID()}/tasks`, { token });
        expect(response.status).to.equal(401);
        const line = await debugLine(response);
        expect(line.req?.headers?.authorization).to.equal('[redacted]');
        expect(textOf(debugLines())).to.not.include(token);
      });
    }

    it('redacts cookies', async () => {
      const alice = debugUser();
      const secret = `session-${randomUUID()}`;
      const response = await alice.call('GET', '/tasks', { headers: { cookie: `sid=${secret}; theme=dark` } });
      expect(response.status).to.equal(200);
      const line = await debugLine(response);
      expect(line.req?.headers?.cookie).to.equal('[redacted]');
      expect(textOf(debugLines())).to.not.include(secret);
    });
  });

  describe("pretty mode (a developer's terminal)", () => {
    const pretty = (level: 'info' | 'debug') =>
      prettyFactory({ ...prettyOptions({ logLevel: level }), colorize: false });

    it('prints one line per request: method, path, status, time, user and request id', async () => {
      const alice = suite.newUser();
      const response = await alice.call('GET', '/tasks', { headers: { 'x-custom': 'bulk' } });
      const line = await completionLine(requestIdOf(response));
      const text = pretty('info')(line);
      expect(text.trimEnd().split('\n'), text).to.have.lengthOf(1);
      expect(text).to.match(
        new RegExp(`INFO: GET /api/${alice.id}/tasks 200 \\d+ ms user=${alice.id} id=${requestIdOf(response)}\\n$`),
      );
      expect(text).to.not.include('user-agent');
    });

    it('shows the logged request headers at debug only, on the same line', async () => {
      const response = await request(suite.server().baseUrl, 'GET', '/health', { headers: { 'user-agent': 'ua/1' } });
      const line = await completionLine(requestIdOf(response));
      expect(pretty('info')(line)).to.not.include('ua/1');
      const text = pretty('debug')(line);
      expect(text.trimEnd().split('\n'), text).to.have.lengthOf(1);
      expect(text).to.include('"user-agent":"ua/1"');
    });
  });

  describe('audit trail', () => {
    it('writes one audit line per create, replace, update, complete, reopen, delete, restore and purge', async () => {
      const alice = suite.newUser();
      const created = await alice.call<Task>('POST', '/tasks', { json: { title: 'Audited' } });
      const id: number = created.body.id;
      const steps: { action: string; response: ApiResponse }[] = [
        { action: 'task.create', response: created },
        {
          action: 'task.replace',
          response: await alice.call('PUT', `/tasks/${id}`, {
            json: { title: 'Replaced', description: null, completed: false },
          }),
        },
        {
          action: 'task.update',
          response: await alice.call('PATCH', `/tasks/${id}`, { json: { description: 'more' } }),
        },
        {
          action: 'task.complete',
          response: await alice.call('PATCH', `/tasks/${id}/complete`, { json: { completed: true } }),
        },
        { action: 'task.reopen', response: await alice.call('PATCH', `/tasks/${id}/complete`) },
        { action: 'task.delete', response: await alice.call('DELETE', `/tasks/${id}`) },
        { action: 'task.restore', response: await alice.call('POST', `/tasks/${id}/restore`) },
        { action: 'task.delete', response: await alice.call('DELETE', `/tasks/${id}`) },
        { action: 'task.purge', response: await alice.call('DELETE', `/api/${alice.id}/trash/${id}`) },
      ];
      const completions: LogLine[] = [];
      for (const { response } of steps) completions.push(await completionLine(requestIdOf(response)));

      const audit = auditLines(alice);
      expect(audit.map((line) => line.audit)).to.deep.equal(
        steps.map(({ action }) => ({ action, user_id: alice.id, task_id: id })),
      );
      steps.forEach(({ action, response }, index) => {
        expect(audit[index]!.req?.id, `${action} is logged under its request's id`).to.equal(requestIdOf(response));
        expect(audit[index]!.operation, `${action} names its operation`)
          .to.be.a('string')
          .and.equal(completions[index]!.operation);
      });
    });

    it('writes no audit line for reads', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask();
      const reads = [
        await alice.call('GET', '/tasks'),
        await alice.call('GET', `/tasks/${task.id}`),
        await alice.call('GET', '/api/me'),
      ];
      for (const response of reads) await completionLine(requestIdOf(response));
      expect(auditLines(alice).map((line) => line.audit?.action)).to.deep.equal(['task.create']);
    });

    it('writes no audit line for a write that was refused or found nothing', async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const task = await alice.createTask();
      const refused = [
        await bob.call('PATCH', `/tasks/${task.id}`, { json: { title: 'Not mine' } }), // 404
        await bob.call('DELETE', `/tasks/${task.id}`), // 404
        await bob.call('PATCH', `/tasks/${task.id}/complete`), // 404
        await bob.call('PUT', `/api/${alice.id}/tasks/${task.id}`, {
          json: { title: 'x', description: null, completed: true },
        }), // 403
        await bob.call('POST', `/api/${alice.id}/tasks`, { json: { title: 'Planted' } }), // 403
        await alice.call('POST', '/tasks', { json: { title: '' } }), // 400
        await alice.call('DELETE', '/tasks/987654321'), // 404
        await alice.call('POST', `/tasks/${task.id}/restore`), // 409: not in the trash
        await alice.call('DELETE', `/api/${alice.id}/trash/${task.id}`), // 404: not in the trash
      ];
      for (const response of refused) {
        expect(response.status).to.be.within(400, 499);
        await completionLine(requestIdOf(response));
      }
      expect(auditLines(bob)).to.deep.equal([]);
      expect(auditLines(alice).map((line) => line.audit?.action)).to.deep.equal(['task.create']);
    });
  });

  describe('this suite as a whole', () => {
    it('never answered or logged a server error', () => {
      const serverErrors = lines().filter(
        (line) => (line.res?.statusCode ?? 0) >= 500 || line.level >= ERROR_LEVEL || line.err !== undefined,
      );
      expect(serverErrors.map((line) => JSON.stringify(line))).to.deep.equal([]);
      expect(lines().length, 'the log was written at all').to.be.greaterThan(0);
    });
  });
});
