import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { cleanUpProcesses, makeTempDir, runScript } from '../helpers/server-process.js';

// `make docs` runs src/cli/offline-docs-page.ts on the page Redocly builds; portal.test.ts shows the
// real page loading nothing from the network. These are its own cases, on small pages.
describe('make docs: the page made to load nothing from the network', () => {
  afterEach(cleanUpProcesses);

  async function run(html: string) {
    const file = path.join(await makeTempDir(), 'index.html');
    await writeFile(file, html);
    const result = await runScript('src/cli/offline-docs-page.ts', [file]);
    return { ...result, page: await readFile(file, 'utf8') };
  }

  it("draws Redocly's logos inline and adds an inline favicon after the title", async () => {
    const result = await run(
      '<html><head><title>API</title></head><body><script>' +
        'const a=`https://cdn.redoc.ly/redoc/logo-mini-full.svg`, b=`https://cdn.redoc.ly/redoc/logo-mini.svg`;' +
        '</script></body></html>',
    );
    expect(result.code, result.stderr).to.equal(0);
    expect(result.page).to.not.include('cdn.redoc.ly');
    expect(result.page.match(/`data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+`/g)).to.have.lengthOf(2);
    expect(result.page).to.match(
      /<\/title>\n {2}<link rel="icon" type="image\/svg\+xml" href="data:image\/svg\+xml;base64,/,
    );
  });

  it('fails, naming the file, when something else from the CDN is left', async () => {
    const result = await run('<html><head><title>API</title></head><img src="https://cdn.redoc.ly/other.svg"></html>');
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('still refers to https://cdn.redoc.ly/');
  });

  it('fails when the page has no title to put the favicon after', async () => {
    const result = await run('<html><head></head></html>');
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('no <title>');
  });
});
