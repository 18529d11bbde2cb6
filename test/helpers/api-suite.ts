import { DATABASE_KINDS, sharedTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { startTestServer, type TestServer } from './test-server.js';
import { TestUser } from './api-client.js';

export interface ApiSuite {
  readonly kind: DatabaseKind;
  /** The running server (available inside tests and hooks). */
  server(): TestServer;
  database(): TestDatabase;
  /** A new user with a valid token. */
  newUser(): TestUser;
}

/** Declares the same suite once per database kind, each against a server of its own over the shared database. */
export function describeEachDatabase(title: string, body: (suite: ApiSuite) => void): void {
  for (const kind of DATABASE_KINDS) {
    describe(`${title} [${kind}]`, function () {
      let server: TestServer | undefined;
      let database: TestDatabase | undefined;
      before(async function () {
        this.timeout(60_000);
        database = await sharedTestDatabase(kind);
        server = await startTestServer(database.knex);
      });
      after(async () => server?.close());
      const suite: ApiSuite = {
        kind,
        server: () => server ?? failNotStarted(),
        database: () => database ?? failNotStarted(),
        newUser: () => new TestUser(suite.server().baseUrl),
      };
      body(suite);
    });
  }
}

function failNotStarted(): never {
  throw new Error('the suite server is not started yet: use it inside tests or hooks');
}
