import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { OperationHandlers } from '../contract/operations.js';
import { DomainError } from '../contract/domain-error.js';
import { SPEC_YAML_PATH, type SpecDocument } from '../contract/spec-document.js';

/**
 * The reference page runs Redoc's inline scripts and styles, and nothing from elsewhere: `make docs`
 * inlines what Redoc would fetch (src/cli/offline-docs-page.ts), and this policy stops anything
 * else in the browser, so the page never reaches out to the network.
 */
const DOCS_PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  'worker-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where `make docs` writes the reference page. */
export const DOCS_PAGE_PATH = fileURLToPath(new URL('../../docs/index.html', import.meta.url));

/**
 * Serves the contract the server runs on (the bundled spec `make generate` writes) and the
 * reference page rendered from it. The spec is read once; the page is read on first request,
 * and not remembered while it is missing, so that `make docs` takes effect without a restart.
 */
export function createDocsHandlers(
  spec: SpecDocument,
  docsPagePath = DOCS_PAGE_PATH,
): Pick<OperationHandlers, 'getOpenApiJson' | 'getOpenApiYaml' | 'getDocs'> {
  const yaml = readFileSync(SPEC_YAML_PATH, 'utf8'); // written by `make generate`, like the JSON: required
  let page: Promise<string> | undefined;

  return {
    async getOpenApiJson() {
      return { status: 200, body: spec as never };
    },

    async getOpenApiYaml() {
      // The YAML text of the document the spec's schema describes once parsed: sent as it is.
      return { status: 200, body: yaml as never, headers: { 'Content-Type': 'application/yaml; charset=utf-8' } };
    },

    async getDocs(input) {
      page ??= readFile(docsPagePath, 'utf8');
      try {
        return {
          status: 200,
          body: await page,
          headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': DOCS_PAGE_POLICY },
        };
      } catch (error) {
        page = undefined;
        // Missing (or unreadable: the log says which): either way there is no page to show.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
          input.log.warn({ err: error }, 'the API reference page cannot be read');
        throw new DomainError('not_found', 'The API reference has not been built; run `make docs`.');
      }
    },
  };
}
