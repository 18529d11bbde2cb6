import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { sharedTestDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tokenFor } from '../helpers/tokens.js';
import type { Failure, Journey, TodoPage } from './browser/page.js';
import { SDK_DATABASE_KIND } from './sdk-suite.js';

const PAGE_SCRIPT = fileURLToPath(new URL('browser/page.ts', import.meta.url));
const HTML = '<!doctype html><title>Todo SDK in a browser</title><script type="module" src="/page.js"></script>';

/** The page, bundled for browsers as a frontend's build would (the SDK's ES modules, no Node built-ins). */
async function bundlePage(): Promise<string> {
  const { outputFiles } = await build({
    entryPoints: [PAGE_SCRIPT],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return outputFiles[0]!.text;
}

/** A static server for the page, on a port (so an origin) of its own. */
async function servePage(script: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const [type, body] = request.url === '/page.js' ? ['text/javascript', script] : ['text/html', HTML];
    response.writeHead(request.url === '/' || request.url === '/page.js' ? 200 : 404, { 'content-type': type });
    response.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe(`SDK in a browser: a bundled page on another origin calls the API [${SDK_DATABASE_KIND}]`, function () {
  this.timeout(60_000);
  let allowedPage: Awaited<ReturnType<typeof servePage>> | undefined;
  let otherPage: Awaited<ReturnType<typeof servePage>> | undefined;
  let api: TestServer | undefined;
  let browser: Browser | undefined;
  const scriptErrors: string[] = [];

  before(async () => {
    const script = await bundlePage();
    allowedPage = await servePage(script);
    otherPage = await servePage(script);
    // The API allows the first page's origin only, as CORS_ORIGINS=<origin> would.
    api = await startTestServer((await sharedTestDatabase(SDK_DATABASE_KIND)).knex, {
      http: { corsOrigins: [allowedPage.origin] },
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.close(), allowedPage?.close(), otherPage?.close()]);
  });

  /** A fresh page at `origin`, once its script has loaded. */
  async function open(origin: string): Promise<Page> {
    const page = await browser!.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction('globalThis.todoPage !== undefined');
    return page;
  }

  /** Runs one of the page's functions in the browser with the API's URL and a fresh user's token. */
  async function inPage<T>(origin: string, name: keyof TodoPage, sub: string): Promise<T> {
    const page = await open(origin);
    try {
      return await page.evaluate(
        ([fn, apiUrl, token]) =>
          (globalThis as unknown as { todoPage: Record<string, (url: string, token: string) => Promise<T>> }).todoPage[
            fn
          ]!(apiUrl, token),
        [name, api!.baseUrl, await tokenFor(sub)] as const,
      );
    } finally {
      await page.close();
    }
  }

  it('signs in with a token, creates, lists and completes a task, and gets a typed 412 for a stale ETag', async () => {
    const sub = `browser-${randomUUID()}`;
    const journey = await inPage<Journey>(allowedPage!.origin, 'journey', sub);
    expect(journey.user).to.equal(sub);
    expect(journey.etag, 'the ETag, readable across origins').to.match(/^"[^"]+"$/);
    expect(journey.listed).to.deep.equal(['From the browser']);
    expect(journey.completedAt).to.match(/^\d{4}-\d\d-\d\dT/);
    expect(journey.stale).to.deep.include({ name: 'ResponseError', status: 412 });
    expect(journey.stale.problemType, 'the problem document, readable across origins').to.be.a('string');
    expect(scriptErrors).to.deep.equal([]);
  });

  it('a page on an origin the API does not allow gets a FetchError, as CORS refusals look to pages', async () => {
    const failure = await inPage<Failure>(otherPage!.origin, 'failure', `browser-${randomUUID()}`);
    expect(failure.name).to.equal('FetchError');
    expect(failure.message).to.match(/^GET http:\/\/127\.0\.0\.1:\d+\/api\/me failed: Failed to fetch$/);
  });
});
