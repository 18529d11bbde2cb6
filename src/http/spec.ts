import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PUBLIC_OPERATIONS } from './operations.js';

/** The contract, bundled to one JSON document by `make generate`. */
export const SPEC_PATH = fileURLToPath(new URL('../../generated/openapi.json', import.meta.url));

interface OperationObject {
  operationId?: string;
  security?: unknown[];
}
export interface SpecDocument {
  security?: unknown[];
  paths: Record<string, Record<string, OperationObject | unknown>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function loadSpec(): SpecDocument {
  return JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as SpecDocument;
}

/**
 * The spec decides which operations need no token; the code's list must say the same,
 * or the app refuses to start (a public handler typed without a user must never get one, and
 * a protected operation must never run unauthenticated).
 */
export function assertPublicOperationsMatch(spec: SpecDocument): void {
  const publicInSpec = new Set<string>();
  for (const item of Object.values(spec.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as OperationObject | undefined;
      if (operation?.operationId && (operation.security ?? spec.security ?? []).length === 0) {
        publicInSpec.add(operation.operationId);
      }
    }
  }
  const publicInCode = new Set<string>(PUBLIC_OPERATIONS);
  const differ = [...publicInSpec].some((id) => !publicInCode.has(id)) || publicInSpec.size !== publicInCode.size;
  if (differ) {
    throw new Error(
      `public operations in the spec (${[...publicInSpec].join(', ')}) differ from PUBLIC_OPERATIONS (${[...publicInCode].join(', ')})`,
    );
  }
}
