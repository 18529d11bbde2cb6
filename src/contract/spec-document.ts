import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The contract, bundled to one document by `make generate`, in JSON and in YAML. */
export const SPEC_PATH = fileURLToPath(new URL('../../generated/openapi.json', import.meta.url));
export const SPEC_YAML_PATH = fileURLToPath(new URL('../../generated/openapi.yaml', import.meta.url));

export interface SpecDocument {
  security?: unknown[];
  paths: Record<string, Record<string, unknown>>;
}

export function loadSpec(): SpecDocument {
  return JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as SpecDocument;
}
