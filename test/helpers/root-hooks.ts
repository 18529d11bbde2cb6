import { closeSharedTestDatabases } from './databases.js';

/** Mocha root hooks: shared test databases are closed (and dropped) once, after every suite. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await closeSharedTestDatabases();
  },
};
