import { mkdirSync, writeFileSync } from 'node:fs';
import { assertConformsToSpec, documentedResponses, type ObservedResponse } from './spec-conformance.js';

/** `operationId status` of every real response any suite has seen in this mocha run. */
const observed = new Set<string>();

/**
 * The one door through which every suite (API, SDK, property tests) passes the responses it
 * gets from a real server: each is checked against the contract and counted for coverage.
 */
export function observeResponse(response: ObservedResponse): void {
  const operationId = assertConformsToSpec(response);
  // A HEAD answer has no body to check: it does not count as producing the GET's response.
  if (operationId !== undefined && response.method !== 'HEAD') observed.add(`${operationId} ${response.status}`);
}

export interface SpecCoverage {
  readonly documented: string[];
  readonly produced: string[];
  readonly missing: string[];
}

export function specCoverage(): SpecCoverage {
  const documented = [...documentedResponses()].sort();
  return {
    documented,
    produced: documented.filter((pair) => observed.has(pair)),
    missing: documented.filter((pair) => !observed.has(pair)),
  };
}

/** Writes the coverage report where CI keeps test artifacts; throws when some documented response was never produced. */
export function assertFullSpecCoverage(artifactsDir: string): void {
  const coverage = specCoverage();
  mkdirSync(artifactsDir, { recursive: true });
  writeFileSync(`${artifactsDir}/spec-coverage.json`, `${JSON.stringify(coverage, null, 2)}\n`);
  if (coverage.missing.length > 0) {
    throw new Error(
      `spec coverage: ${coverage.missing.length} of ${coverage.documented.length} documented responses were never produced by any test:\n  ${coverage.missing.join('\n  ')}`,
    );
  }
}
