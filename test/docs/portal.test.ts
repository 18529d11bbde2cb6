import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { loadContract, OPERATION_METHODS } from '../helpers/contract.js';
import { sharedTestDatabase } from '../helpers/databases.js';
import { ARTIFACTS_DIR } from '../helpers/root-hooks.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const DOCS_PAGE = fileURLToPath(new URL('../../docs/index.html', import.meta.url));
const SCREENSHOT = join(ARTIFACTS_DIR, 'docs-portal.png');

const spec = loadContract() as unknown as {
  info: { title: string };
  paths: Record<string, Record<string, { operationId: string; summary: string; tags: string[] }>>;
};
const operations = Object.values(spec.paths).flatMap((item) =>
  OPERATION_METHODS.flatMap((method) => item[method] ?? []),
);

describe('the docs portal, rendered by a browser with no network', function () {
  this.timeout(120_000);
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  /** Every request that left the page for elsewhere than the test server: each one is aborted. */
  const offsite: string[] = [];
  /** The paths asked of the test server. */
  const onsite: string[] = [];
  /** Every error in the browser's console: a load the page's Content-Security-Policy refused, a 404, a script's. */
  const consoleErrors: string[] = [];
  const scriptErrors: string[] = [];

  before(async () => {
    // Never skipped, not even locally: a missing prerequisite is a failure with its fix.
    if (!existsSync(DOCS_PAGE))
      throw new Error(`${DOCS_PAGE} is missing: run \`make docs\` (\`make test\` builds it first)`);
    // The page needs no database, but the app is always built over one.
    server = await startTestServer((await sharedTestDatabase('pglite')).knex);
    const origin = new URL(server.baseUrl).origin;

    browser = await launchChromium();
    const context = await browser.newContext();
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      // data: and blob: URLs are made inside the page: they are not network.
      if (url.origin === origin) onsite.push(url.pathname);
      if (url.origin === origin || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
      offsite.push(url.href);
      return route.abort('blockedbyclient');
    });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('websocket', (socket) => offsite.push(socket.url()));
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${server.baseUrl}/docs`);
    await page.getByRole('heading', { level: 1, name: spec.info.title }).waitFor();
  });

  after(async () => {
    try {
      if (page) {
        // From the top, so that the picture shows the overview and the side menu (a string: no DOM types here).
        await page.evaluate('window.scrollTo(0, 0)');
        mkdirSync(ARTIFACTS_DIR, { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
      }
    } finally {
      await browser?.close();
      await server?.close();
    }
  });

  it("shows every operation's summary in the side menu and, once chosen, as its heading", async () => {
    expect(operations, 'operations in the spec').to.not.be.empty;
    const menuEntry = (text: string) => page!.getByTestId('menu-item-label').getByText(text, { exact: true });
    for (const { operationId, summary, tags } of operations) {
      expect(summary, `${operationId} has a summary`).to.be.a('string');
      const entry = menuEntry(summary);
      // Redoc shows one tag's operations at a time: open the tag when they are folded away.
      // Clicks are dispatched to the entry rather than aimed by the pointer: while the page scrolls to
      // the last choice, Redoc's scroll-spy folds and unfolds groups, and the entry under the pointer
      // can change between aiming and clicking (a pointer click then times out on a busy machine).
      if (!(await entry.isVisible())) await menuEntry(tags[0]!).dispatchEvent('click');
      await entry.waitFor({ state: 'visible' });
      await entry.dispatchEvent('click');
      // Content is rendered lazily: the heading appears once its operation is chosen.
      await page!.locator('h2').getByText(summary, { exact: true }).waitFor();
    }
  });

  it('throws no script error', () => {
    expect(scriptErrors).to.deep.equal([]);
  });

  it('sends no request outside the server (it renders offline)', () => {
    expect(offsite, 'requests the page sent outside the server').to.deep.equal([]);
  });

  it('asks the server for the page alone: no favicon.ico, the icon is inline', async () => {
    expect(onsite).to.deep.equal(['/docs']);
    const icon = await page!.locator('link[rel="icon"]').getAttribute('href');
    expect(icon).to.match(/^data:image\/svg\+xml;base64,/);
  });

  it('logs no error in the console (nothing refused by its policy: the Redocly logo is inline)', () => {
    expect(consoleErrors).to.deep.equal([]);
  });
});
