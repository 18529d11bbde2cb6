import { closeSharedTestDatabases } from './databases.js';
import { assertFullSpecCoverage } from './spec-coverage.js';

/** Where tests leave what a person may want to look at after a run (screenshots, reports). */
export const ARTIFACTS_DIR = 'test-artifacts';

/**
 * Mocha root hooks, run once after every suite: shared test databases are closed (and dropped);
 * when the whole suite ran (`make test` sets SPEC_COVERAGE=required), every operation × status
 * the spec documents must have been produced by some test.
 */
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await closeSharedTestDatabases();
    if (process.env.SPEC_COVERAGE === 'required') assertFullSpecCoverage(ARTIFACTS_DIR);
  },
};
