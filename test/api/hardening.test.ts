import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { createPglite, pgliteKnex, postgresKnex } from '../../src/db/database.js';
import { expectProblem, request, TestUser, type ApiResponse, type Problem } from '../helpers/api-client.js';
import { DATABASE_KINDS, POSTGRES_ADMIN_URL, sharedTestDatabase } from '../helpers/databases.js';
import { openEventStream } from '../helpers/event-stream.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const APP_ORIGIN = 'https://app.example.com';
const OTHER_ORIGIN = 'https://evil.example.net';

/** Anything that would tell a client about the server's insides: stacks, files, SQL, library words. */
const INTERNALS = [
  /node_modules/i,
  /\bat \S+ \(?[^)]*:\d+:\d+\)?/, // a stack frame
  /"stack"/,
  /\b(select|insert|update|delete)\b.+\b(from|into|set)\b/i,
  /\brelation\b|\bcolumn\b|\bsyntax error\b/i,
  /SyntaxError|TypeError|Unexpected token|Unexpected end of JSON|JSON\.parse/,
  /knex|pglite|\bpg\b|postgres|ajv|express|body-parser/i,
];

function expectNoInternals(response: ApiResponse): void {
  const text = JSON.stringify(response.body);
  for (const pattern of INTERNALS) expect(text, `the body matches ${pattern}`).not.to.match(pattern);
}

for (const kind of DATABASE_KINDS) {
  describe(`hardening [${kind}]`, function () {
    this.timeout(30_000);
    let server: TestServer;
    let user: TestUser;
    before(async () => {
      server = await startTestServer((await sharedTestDatabase(kind)).knex, { http: { corsOrigins: [APP_ORIGIN] } });
      user = new TestUser(server.baseUrl);
    });
    after(() => server.close());

    describe('security headers', () => {
      it('are an API policy on every answer: nothing to load, run or frame', async () => {
        for (const response of [
          await user.call('GET', '/api/me'),
          await request(server.baseUrl, 'GET', '/api/me'),
          await request(server.baseUrl, 'GET', '/health'),
        ]) {
          expect(response.headers.get('content-security-policy')).to.equal("default-src 'none';frame-ancestors 'none'");
          expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
          expect(response.headers.get('x-frame-options')).to.equal('DENY');
          expect(response.headers.get('referrer-policy')).to.equal('no-referrer');
          expect(response.headers.get('strict-transport-security')).to.match(/^max-age=\d+/);
          expect(response.headers.get('cross-origin-resource-policy')).to.equal('same-origin');
          expect(response.headers.has('x-powered-by')).to.equal(false);
        }
      });

      it('leave the docs page its own Content-Security-Policy', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'docs-'));
        writeFileSync(join(dir, 'index.html'), '<!doctype html><title>docs</title>');
        const docs = await startTestServer((await sharedTestDatabase(kind)).knex, {
          docsPagePath: join(dir, 'index.html'),
        });
        try {
          const response = await request(docs.baseUrl, 'GET', '/docs');
          expect(response.status).to.equal(200);
          const policy = response.headers.get('content-security-policy') ?? '';
          expect(policy).to.include("script-src 'unsafe-inline'").and.include("frame-ancestors 'none'");
          expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
        } finally {
          await docs.close();
        }
      });
    });

    describe('Cache-Control: no-store on every /api answer', () => {
      it('on successes and on errors alike', async () => {
        const answers = [
          await user.call('GET', '/api/me'),
          await user.call('GET', '/tasks'),
          await request(server.baseUrl, 'GET', '/api/me'), // 401
          await user.call('GET', '/tasks?nope=1'), // 400
          await user.call('GET', '/tasks/999999999'), // 404
          await request(server.baseUrl, 'GET', '/api/nowhere'), // no such route
        ];
        expect(answers.map((response) => response.status)).to.deep.equal([200, 200, 401, 400, 404, 404]);
        for (const response of answers)
          expect(response.headers.get('cache-control'), String(response.status)).to.equal('no-store');
      });
    });

    describe('CORS', () => {
      const exposed = (response: ApiResponse) =>
        (response.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
      /**
       * Preflights are sent with fetch itself: OPTIONS is no operation of the spec, and the CORS
       * layer answers it (204) before any route, so the contract checker has nothing to check.
       */
      const preflight = (origin: string, method: string, headers: string) =>
        fetch(new URL(`/api/${user.id}/tasks/1`, server.baseUrl), {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
        });

      it('lets an allowed origin read answers and the headers clients need', async () => {
        for (const response of [
          await user.call('GET', '/api/me', { headers: { origin: APP_ORIGIN } }),
          await request(server.baseUrl, 'GET', '/api/me', { headers: { origin: APP_ORIGIN } }),
        ]) {
          expect(response.headers.get('access-control-allow-origin')).to.equal(APP_ORIGIN);
          expect(exposed(response)).to.include.members([
            'ETag',
            'Location',
            'RateLimit',
            'RateLimit-Policy',
            'Retry-After',
            'X-Request-Id',
          ]);
          expect(response.headers.get('vary')).to.include('Origin');
          expect(response.headers.has('access-control-allow-credentials')).to.equal(false);
        }
      });

      it("lets an allowed origin's app read the event stream", async () => {
        const stream = await openEventStream(server.baseUrl, user.id, {
          token: await user.bearer(),
          headers: { origin: APP_ORIGIN },
        });
        expect(stream.status).to.equal(200);
        expect(stream.headers.get('access-control-allow-origin')).to.equal(APP_ORIGIN);
        expect(stream.headers.get('vary')).to.include('Origin');
        await stream.close();
      });

      it('gives any other origin no CORS header at all', async () => {
        for (const headers of [{ origin: OTHER_ORIGIN }, { origin: 'null' }, {} as Record<string, string>]) {
          const response = await user.call('GET', '/api/me', { headers });
          expect(response.status).to.equal(200);
          expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).to.deep.equal([]);
          expect(response.headers.get('vary'), 'the answer depends on Origin').to.include('Origin');
        }
      });

      it('answers the preflight of an allowed origin for every header and method clients send', async () => {
        const response = await preflight(
          APP_ORIGIN,
          'PATCH',
          'authorization, content-type, if-match, if-none-match, idempotency-key, last-event-id, x-request-id',
        );
        expect(response.status).to.equal(204);
        expect(response.headers.get('access-control-allow-origin')).to.equal(APP_ORIGIN);
        expect(response.headers.get('access-control-allow-methods')?.split(',')).to.include.members([
          'GET',
          'POST',
          'PUT',
          'PATCH',
          'DELETE',
        ]);
        const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',');
        expect(allowed).to.include.members([
          'authorization',
          'content-type',
          'if-match',
          'if-none-match',
          'idempotency-key',
          'last-event-id',
          'x-request-id',
        ]);
        expect(response.headers.get('access-control-max-age')).to.equal('600');
      });

      it('refuses the preflight of another origin: no CORS header, OPTIONS is no operation', async () => {
        const response = await preflight(OTHER_ORIGIN, 'DELETE', 'authorization');
        expect(response.status).to.equal(405);
        expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).to.deep.equal([]);
      });
    });

    describe('error bodies reveal no internals', () => {
      it('for malformed JSON', async () => {
        const response = await user.call('POST', '/tasks', {
          rawBody: '{"title": "x",',
          contentType: 'application/json',
        });
        expectProblem(response, 400);
        expectNoInternals(response);
      });

      it('for a content type the operation does not take', async () => {
        for (const contentType of ['text/plain', 'application/json; charset=klingon', 'application/xml']) {
          const response = await user.call('POST', '/tasks', { rawBody: '{"title":"x"}', contentType });
          expect(response.status, contentType).to.be.oneOf([400, 415]);
          expectProblem(response, response.status);
          expectNoInternals(response);
        }
      });

      it('for a body that is not UTF-8 or is compressed wrongly', async () => {
        const response = await user.call('POST', '/tasks', {
          rawBody: 'not gzip',
          contentType: 'application/json',
          headers: { 'content-encoding': 'gzip' },
        });
        expectProblem(response, 400);
        expectNoInternals(response);
      });

      it("for the validator's findings", async () => {
        const response = await user.call('POST', '/tasks', { json: { title: 123, id: 5, nested: { a: [1] } } });
        const problem = expectProblem(response, 400);
        expect(problem.errors?.length).to.be.greaterThan(0);
        expectNoInternals(response);
      });
    });
  });
}

describe('hardening: database errors reveal no internals', function () {
  this.timeout(30_000);
  // Databases without the service's tables: every query the service makes fails inside the driver.
  const broken: { name: string; open: () => Promise<Knex> }[] = [
    { name: 'pglite', open: async () => pgliteKnex(await createPglite()) },
    ...(DATABASE_KINDS.includes('postgres')
      ? [{ name: 'postgres', open: async () => postgresKnex(POSTGRES_ADMIN_URL, 2) }]
      : []),
  ];
  for (const { name, open } of broken) {
    it(`answers 500 with our words only [${name}]`, async () => {
      const db = await open();
      const server = await startTestServer(db);
      try {
        const user = new TestUser(server.baseUrl);
        for (const response of [
          await user.call('GET', '/tasks'),
          await user.call('POST', '/tasks', { json: { title: 'x' } }),
        ]) {
          expect(expectProblem(response, 500).detail).to.equal('An unexpected error occurred.');
          expectNoInternals(response);
          // The cause is logged for the operator, under the request id.
          const line = server.logs.find(
            (entry) =>
              (entry.req as { id?: string } | undefined)?.id === (response.body as Problem).request_id && entry.err,
          );
          expect(JSON.stringify(line?.err)).to.include('does not exist');
        }
      } finally {
        await server.close();
        await db.destroy();
      }
    });
  }
});
