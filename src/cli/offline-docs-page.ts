// Run by `make docs` on the page Redocly builds: makes it load nothing from the network. Redoc's
// sidebar credits Redocly with a logo fetched from its CDN (which the page's policy refuses, an
// error in the browser's console): the credit stays, drawn inline. The page gets a favicon, inline
// too, so that browsers do not ask the server for /favicon.ico. Fails when anything from the CDN is
// left, for instance after a Redoc upgrade that fetches something new.
import { readFile, writeFile } from 'node:fs/promises';

const CDN = 'https://cdn.redoc.ly/';

const svg = (markup: string) => `data:image/svg+xml;base64,${Buffer.from(markup).toString('base64')}`;
const wordmark = (text: string, width: number) =>
  svg(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" viewBox="0 0 ${width} 20">` +
      `<text x="0" y="15" font-family="sans-serif" font-size="14" font-weight="bold" fill="#3c4257">${text}</text></svg>`,
  );
const LOGOS: Record<string, string> = {
  [`${CDN}redoc/logo-mini-full.svg`]: wordmark('Redocly', 64),
  [`${CDN}redoc/logo-mini.svg`]: wordmark('R', 12),
};
/** A ticked box: the API's subject. */
const FAVICON = svg(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="2" width="28" height="28" rx="6" fill="#2f6fde"/>' +
    '<path d="M9 16.5l5 5 9-11" fill="none" stroke="#fff" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/></svg>',
);

const file = process.argv[2];
if (!file) {
  console.error('usage: offline-docs-page.ts <page.html>');
  process.exit(2);
}
let page = await readFile(file, 'utf8');
for (const [url, inline] of Object.entries(LOGOS)) page = page.replaceAll(url, inline);
page = page.replace('</title>', `</title>\n  <link rel="icon" type="image/svg+xml" href="${FAVICON}">`);
if (page.includes(CDN)) {
  console.error(`${file} still refers to ${CDN}: src/cli/offline-docs-page.ts must inline it too`);
  process.exit(1);
}
if (!page.includes('rel="icon"')) {
  console.error(`${file} has no <title> to put the favicon after`);
  process.exit(1);
}
await writeFile(file, page);
