import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import { expectProblem, request, type RequestOptions } from '../helpers/api-client.js';
import { sharedTestDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

// Read here rather than through src/, so that serving the wrong file cannot go unnoticed.
const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const SPEC_JSON = repoFile('generated/openapi.json');
const SPEC_YAML = repoFile('generated/openapi.yaml');
const DOCS_PAGE = repoFile('docs/index.html');

const PUBLIC_PATHS = ['/openapi.json', '/openapi.yaml', '/docs'];

describe('the contract and the reference page, served without auth', () => {
  let server: TestServer;
  let tempDir: string;
  const get = (path: string, options?: RequestOptions) => request(server.baseUrl, 'GET', path, options);

  before(async function () {
    this.timeout(60_000);
    // The page and the spec need no database, but the app is always built over one.
    server = await startTestServer((await sharedTestDatabase('pglite')).knex);
    tempDir = await mkdtemp(join(tmpdir(), 'docs-test-'));
  });
  after(async () => {
    await server?.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  it('GET /openapi.json returns the bundled spec', async () => {
    const response = await get('/openapi.json');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^application\/json(;|$)/);
    expect(response.body).to.deep.equal(JSON.parse(await readFile(SPEC_JSON, 'utf8')));
  });

  it('GET /openapi.yaml returns the bundled YAML file as is, the same document as the JSON', async () => {
    const response = await get('/openapi.yaml');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^application\/yaml(;|$)/);
    // Parsed by the client (and checked against the response schema, OpenApiDocument, on the way).
    expect(response.body).to.deep.equal(JSON.parse(await readFile(SPEC_JSON, 'utf8')));
    const raw = await fetch(new URL('/openapi.yaml', server.baseUrl));
    expect(await raw.text()).to.equal(await readFile(SPEC_YAML, 'utf8'));
  });

  it('GET /docs returns the built HTML page', async () => {
    const { info } = JSON.parse(await readFile(SPEC_JSON, 'utf8')) as { info: { title: string } };
    const response = await get('/docs');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^text\/html(;|$)/);
    expect(response.body).to.include(`<title>${info.title}</title>`);
    expect(response.body).to.equal(await readFile(DOCS_PAGE, 'utf8'));
    // The browser may load nothing from elsewhere (portal.test.ts proves the page still renders).
    expect(response.headers.get('content-security-policy'))
      .to.include("default-src 'none'")
      .and.not.match(/https?:/);
  });

  it('HEAD /docs answers 200 with the headers of the page and no body', async () => {
    const response = await request(server.baseUrl, 'HEAD', '/docs', { headers: { 'accept-encoding': 'identity' } });
    expect(response.status).to.equal(200);
    expect(response.body).to.equal(undefined);
    expect(response.headers.get('content-type')).to.match(/^text\/html(;|$)/);
    expect(Number(response.headers.get('content-length'))).to.equal((await stat(DOCS_PAGE)).size);
  });

  describe('compressed as the client accepts (fetch would decompress unseen: the raw bytes are read)', () => {
    const documents = [
      { path: '/docs', file: DOCS_PAGE },
      { path: '/openapi.yaml', file: SPEC_YAML },
    ];
    for (const { path, file } of documents) {
      it(`GET ${path}: Brotli when accepted, a quarter of the size or less, the same document once decoded`, async () => {
        const original = await readFile(file);
        const { headers, body } = await rawGet(path, 'gzip, deflate, br'); // what browsers send
        expect(headers['content-encoding']).to.equal('br');
        expect(headers.vary).to.match(/accept-encoding/i);
        expect(Number(headers['content-length'])).to.equal(body.length);
        expect(body.length).to.be.below(original.length / 4);
        expect(brotliDecompressSync(body).equals(original)).to.equal(true);
      });
    }

    it('GET /openapi.json: gzip when Brotli is refused (q=0), decoding to the bundled spec', async () => {
      const { headers, body } = await rawGet('/openapi.json', 'br;q=0, gzip');
      expect(headers['content-encoding']).to.equal('gzip');
      expect(JSON.parse(gunzipSync(body).toString())).to.deep.equal(JSON.parse(await readFile(SPEC_JSON, 'utf8')));
    });

    it('sends the page as it is without Accept-Encoding, still saying that it varies with it', async () => {
      const { headers, body } = await rawGet('/docs', undefined);
      expect(headers['content-encoding']).to.equal(undefined);
      expect(headers.vary).to.match(/accept-encoding/i);
      expect(body.equals(await readFile(DOCS_PAGE))).to.equal(true);
    });

    it('leaves small answers and other operations alone', async () => {
      const health = await rawGet('/health', 'br');
      expect(health.headers['content-encoding']).to.equal(undefined);
      expect(health.headers.vary ?? '').to.not.match(/accept-encoding/i);
      const refused = await rawGet('/openapi.json?colour=blue', 'br'); // a 400 problem
      expect(refused.headers['content-encoding']).to.equal(undefined);
      expect(JSON.parse(refused.body.toString())).to.include({ status: 400 });
    });

    /** A GET over node:http, which neither adds Accept-Encoding nor decodes. */
    function rawGet(path: string, acceptEncoding: string | undefined) {
      return new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const headers = acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
        httpGet(new URL(path, server.baseUrl), { headers }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        }).on('error', reject);
      });
    }
  });

  describe('a page that has not been built', () => {
    let pageServer: TestServer;
    let pagePath: string;
    before(async () => {
      pagePath = join(tempDir, 'index.html');
      pageServer = await startTestServer((await sharedTestDatabase('pglite')).knex, { docsPagePath: pagePath });
    });
    after(async () => pageServer?.close());

    it('is a 404 problem that says to run `make docs`, until the page is written', async () => {
      const missing = await request(pageServer.baseUrl, 'GET', '/docs');
      expect(expectProblem(missing, 404).detail).to.include('make docs');

      // The same server, without a restart: a missing page is not remembered.
      await writeFile(pagePath, '<!DOCTYPE html><title>built later</title>');
      const built = await request(pageServer.baseUrl, 'GET', '/docs');
      expect(built.status).to.equal(200);
      expect(built.body).to.equal('<!DOCTYPE html><title>built later</title>');
    });

    it('is a 404 problem, not a 500, when the page cannot be read, and the log says why', async () => {
      const unreadable = await startTestServer((await sharedTestDatabase('pglite')).knex, { docsPagePath: tempDir }); // a directory
      try {
        const response = await request(unreadable.baseUrl, 'GET', '/docs');
        expect(expectProblem(response, 404).detail).to.include('make docs');
        const warning = unreadable.logs.find((line) => line.msg === 'the API reference page cannot be read');
        expect((warning?.err as { code?: string } | undefined)?.code).to.equal('EISDIR');
      } finally {
        await unreadable.close();
      }
    });
  });

  for (const path of PUBLIC_PATHS) {
    it(`GET ${path} rejects an unknown query parameter with a 400 naming it`, async () => {
      const problem = expectProblem(await get(`${path}?colour=blue`), 400);
      expect(problem.errors, JSON.stringify(problem.errors)).to.have.length.greaterThan(0);
      expect(problem.errors![0]).to.include({ location: 'query', pointer: '/colour' });
    });

    it(`GET ${path} ignores an invalid Authorization header (the operation is public)`, async () => {
      for (const authorization of ['Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', 'garbage']) {
        const response = await get(path, { headers: { authorization } });
        expect(response.status, `${authorization}: ${JSON.stringify(response.body)}`).to.equal(200);
      }
    });
  }
});
