import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { sharedTestDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tokenFor } from '../helpers/tokens.js';
import { AppServer } from './browser/app-server.js';
import type { Failure, Journey, TodoPage } from './browser/page.js';
import { SDK_DATABASE_KIND } from './sdk-suite.js';

const PAGE_SCRIPT = fileURLToPath(new URL('browser/page.ts', import.meta.url));

/** The page's script, bundled for browsers as a frontend's build would (the SDK's ES modules, Better Auth's client). */
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

describe(`SDK in a browser: a bundled page signed in with Better Auth calls the API on another origin [${SDK_DATABASE_KIND}]`, function () {
  this.timeout(60_000);
  let app: AppServer | undefined;
  let otherApp: AppServer | undefined;
  let api: TestServer | undefined;
  let browser: Browser | undefined;
  const scriptErrors: string[] = [];

  before(async () => {
    const script = await bundlePage();
    [app, otherApp] = await Promise.all([AppServer.start(script), AppServer.start(script)]);
    // As the README says for a frontend with Better Auth: its keys (JWT_JWKS_URL), its origin as the
    // tokens' issuer and audience, and that origin allowed (CORS_ORIGINS); the other app's is not.
    api = await startTestServer((await sharedTestDatabase(SDK_DATABASE_KIND)).knex, {
      auth: { secret: undefined, jwksUrl: app.jwksUrl, issuer: app.origin, audience: app.origin },
      http: { corsOrigins: [app.origin] },
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.close(), app?.close(), otherApp?.close()]);
  });

  /** Runs one of the page's functions in a fresh page of the app at `origin`. */
  async function inPage<T>(origin: string, name: keyof TodoPage, apiUrl: string, argument: string): Promise<T> {
    const page = await browser!.newPage();
    try {
      page.setDefaultTimeout(15_000);
      page.on('pageerror', (error) => scriptErrors.push(error.message));
      await page.goto(`${origin}/`);
      await page.waitForFunction('globalThis.todoPage !== undefined');
      return await page.evaluate(
        ([fn, url, arg]) =>
          (globalThis as unknown as { todoPage: Record<string, (url: string, arg: string) => Promise<T>> }).todoPage[
            fn
          ]!(url, arg),
        [name, apiUrl, argument] as const,
      );
    } finally {
      await page.close();
    }
  }

  it("signs up, takes Better Auth's token through the README's provider, creates, lists and completes a task, and gets a typed 412 for a stale ETag", async () => {
    const email = `ada-${randomUUID()}@example.com`;
    const journey = await inPage<Journey>(app!.origin, 'journey', api!.baseUrl, email);
    expect(journey.apiUser, "the API's user is Better Auth's").to.equal(journey.authUser);
    expect(journey.apiEmail).to.equal(email);
    expect(journey.etag, 'the ETag, readable across origins').to.match(/^"[^"]+"$/);
    expect(journey.listed).to.deep.equal(['From the browser']);
    expect(journey.completedAt).to.match(/^\d{4}-\d\d-\d\dT/);
    expect(journey.stale).to.deep.include({ name: 'ResponseError', status: 412 });
    expect(journey.stale.problemType, 'the problem document, readable across origins').to.be.a('string');
    expect(scriptErrors).to.deep.equal([]);
  });

  it('a page on an origin the API does not allow gets a FetchError, as CORS refusals look to pages', async () => {
    const failure = await inPage<Failure>(otherApp!.origin, 'failure', api!.baseUrl, await tokenFor('anyone'));
    expect(failure.name).to.equal('FetchError');
    expect(failure.message).to.match(/^GET http:\/\/127\.0\.0\.1:\d+\/api\/me failed: Failed to fetch$/);
  });
});
