import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { createPglite, pgliteKnex, postgresKnex } from '../../src/db/database.js';
import { request, type ApiResponse, type Problem } from '../helpers/api-client.js';
import { sharedTestDatabase } from '../helpers/databases.js';
import { specOperations, type SpecOperation } from '../helpers/spec-conformance.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tokenFor } from '../helpers/tokens.js';

// Every operation's documented failure statuses, produced from the spec's own list of
// operations: a new operation gets these checks without a line of test code. The statuses that
// need a broken environment (500: a database without its tables; 503: no database at all) are
// produced by servers built over exactly that.

const USER = 'failure-user';

/** The operation's path with the test user and an id (of a task, a list, a webhook, a delivery) filled in. */
function concretePath(operation: SpecOperation): string {
  return operation.path
    .replace('{user_id}', USER)
    .replace('{task_id}', '1')
    .replace('{list_id}', '1')
    .replace('{webhook_id}', '1')
    .replace('{delivery_id}', '1');
}

async function send(
  server: TestServer,
  operation: SpecOperation,
  init: { query?: string; body?: string; contentType?: string } = {},
): Promise<ApiResponse<Problem>> {
  const token = operation.isPublic ? undefined : await tokenFor(USER);
  const headers = init.contentType ? { 'content-type': init.contentType } : undefined;
  return request<Problem>(server.baseUrl, operation.method, `${concretePath(operation)}${init.query ?? ''}`, {
    token,
    rawBody: init.body,
    headers,
  });
}

/** The spec's own example request, so that the request itself is valid and only the environment fails. */
function exampleBody(operation: SpecOperation) {
  if (operation.requestExample === undefined) return {};
  return { body: JSON.stringify(operation.requestExample), contentType: operation.requestMediaTypes[0] };
}

function documenting(status: string): SpecOperation[] {
  return specOperations().filter((operation) => operation.statuses.includes(status));
}

/** A loopback port nothing listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

describe('documented failure statuses, operation by operation', function () {
  this.timeout(60_000);

  describe('400, 413 and 415: refused before any handler runs', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer((await sharedTestDatabase('pglite')).knex);
    });
    after(() => server.close());

    for (const operation of documenting('400')) {
      it(`${operation.operationId}: an unknown query parameter is a 400 naming it`, async () => {
        const response = await send(server, operation, { ...exampleBody(operation), query: '?unexpected=1' });
        expect(response.status).to.equal(400);
        expect(response.body.errors).to.deep.include({
          location: 'query',
          pointer: '/unexpected',
          message: "Unknown query parameter 'unexpected'",
        });
      });
    }

    for (const operation of documenting('413')) {
      it(`${operation.operationId}: a body over 100 kB is a 413`, async () => {
        const body = JSON.stringify({ title: 'x'.repeat(110 * 1024) });
        const response = await send(server, operation, { body, contentType: operation.requestMediaTypes[0] });
        expect(response.status).to.equal(413);
        expect(response.body.detail).to.equal('The request body exceeds the limit of 102400 bytes.');
      });
    }

    for (const operation of documenting('415')) {
      it(`${operation.operationId}: a text/plain body is a 415`, async () => {
        const response = await send(server, operation, { body: 'title=x', contentType: 'text/plain' });
        expect(response.status).to.equal(415);
        expect(response.body.detail).to.equal('Unsupported Content-Type: text/plain.');
      });
    }
  });

  describe('500: a database without its tables', () => {
    let db: Knex;
    let server: TestServer;
    before(async () => {
      db = pgliteKnex(await createPglite()); // never migrated: every query fails
      server = await startTestServer(db);
    });
    after(async () => {
      await server.close();
      await db.destroy();
    });

    for (const operation of documenting('500')) {
      it(`${operation.operationId}: answers 500 revealing nothing, and logs the cause`, async () => {
        const response = await send(server, operation, exampleBody(operation));
        expect(response.status).to.equal(500);
        expect(response.body.detail).to.equal('An unexpected error occurred.');
        expect(response.body).not.to.have.property('errors');
        const line = server.logs.find(
          (entry) => (entry.req as { id?: string } | undefined)?.id === response.body.request_id && entry.err,
        );
        expect(JSON.stringify(line?.err)).to.include('does not exist');
      });
    }
  });

  describe('503: no database at all', () => {
    let db: Knex;
    let server: TestServer;
    before(async () => {
      db = postgresKnex(`postgres://postgres@127.0.0.1:${await closedPort()}/nowhere`, 2);
      server = await startTestServer(db);
    });
    after(async () => {
      await server.close();
      await db.destroy();
    });

    // The database's 503; the metrics' (a worker that does not report) is test/process/cluster.test.ts's.
    for (const operation of specOperations().filter(
      (candidate) => candidate.sharedResponses['503'] === 'ServiceUnavailable',
    )) {
      it(`${operation.operationId}: answers 503 with Retry-After`, async () => {
        const response = await send(server, operation, exampleBody(operation));
        expect(response.status).to.equal(503);
        expect(response.headers.get('retry-after')).to.equal('5');
      });
    }
  });
});
