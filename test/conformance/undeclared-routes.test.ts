import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import { sharedTestDatabase } from '../helpers/databases.js';
import { parseBody } from '../helpers/spec-conformance.js';
import { observeResponse } from '../helpers/spec-coverage.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tokenFor } from '../helpers/tokens.js';

// The server answers only on the routes the spec declares. Every response goes to the
// conformance check, which fails on any answer outside the spec's operations other than a
// 400/404/405 problem document; these tests aim requests at everything around the declared routes.
// They go out through node:http as written: a URL parser would resolve `..` before sending.

const USER = 'route-prober';
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Neighbours of the declared paths: prefixes, extensions, trailing slashes, look-alikes, traversal. */
const PROBES = [
  '/',
  '/api',
  '/api/',
  `/api/${USER}`,
  `/api/${USER}/`,
  `/api/${USER}/tasks/`,
  `/api/${USER}/tasks/1/`,
  `/api/${USER}/tasks/1/complete/`,
  `/api/${USER}/tasks/1/complete/extra`,
  `/api/${USER}/tasks/1/2`,
  `/api/${USER}/tags`,
  '/api/me/',
  '/api/me/tasks',
  '/docs/',
  '/docs/index.html',
  '/docs.html',
  '/openapi.yml',
  '/openapi.json/',
  '/openapi',
  '/swagger.json',
  '/health/',
  '/healthz',
  '/ready/',
  '/metrics',
  '/.env',
  '/index.html',
  '/generated/openapi.json',
  '/src/server.ts',
  '/package.json',
  `/api/${USER}/tasks/../../../package.json`,
  '/%2e%2e/package.json',
  '/API/me',
  '/Docs',
];

/** A path segment: declared words, ids, and arbitrary (percent-encoded) text. */
const segment = fc.oneof(
  fc.constantFrom(
    'api',
    'me',
    USER,
    'tasks',
    'complete',
    'docs',
    'openapi.json',
    'openapi.yaml',
    'health',
    'ready',
    '1',
    '0',
    '-1',
    '..',
    '.',
    '',
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);

/** Sends the path exactly as given and passes the answer to the conformance check; returns the status. */
function sendRaw(baseUrl: string, method: string, path: string, token?: string): Promise<number> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { hostname, port, method, path, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            const headers = new Headers();
            for (const [name, value] of Object.entries(response.headers))
              if (value !== undefined) headers.set(name, String(value));
            const body = method === 'HEAD' ? undefined : parseBody(Buffer.concat(chunks).toString('utf8'), headers);
            observeResponse({ method, path: path.split('?')[0]!, status: response.statusCode!, headers, body });
            resolve(response.statusCode!);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('routes the spec does not declare', function () {
  this.timeout(60_000);
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startTestServer((await sharedTestDatabase('pglite')).knex);
    token = await tokenFor(USER);
  });
  after(() => server.close());

  for (const path of PROBES) {
    it(`${path}: every method is refused or answered by a declared operation`, async () => {
      for (const method of METHODS) {
        expect(await sendRaw(server.baseUrl, method, path, token), `${method} ${path}`).to.be.below(500);
      }
    });
  }

  it('random paths and methods, with and without a token: never outside the spec, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS),
        fc.array(segment, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        async (method, segments, signedIn) => {
          expect(
            await sendRaw(server.baseUrl, method, `/${segments.join('/')}`, signedIn ? token : undefined),
          ).to.be.below(500);
        },
      ),
      { numRuns: 300 },
    );
  });
});
