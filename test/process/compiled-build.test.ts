import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { migratePostgres } from '../../src/db/database.js';
import { request, type Task } from '../helpers/api-client.js';
import {
  ADMIN_BOUNDS,
  createEmptyPostgresDatabase,
  DATABASE_KINDS,
  MIGRATION_FILES,
  migrationRows,
} from '../helpers/databases.js';
import { cleanUpProcesses, PRODUCTION_ENV, startServer, type ServerProcess } from '../helpers/server-process.js';
import { PRODUCTION_TOKEN, tokenFor } from '../helpers/tokens.js';
import { PROCESS_TEST_TIMEOUT_MS } from '../helpers/wait.js';

// What production runs: `make build` compiles the server to dist/, and `node dist/src/server.js`
// runs it without tsx. Knex records every applied migration by name; the compiled server must
// record and recognise the very names the sources do (`<name>.ts`), so that a database migrated by
// either one is up to date for the other (src/db/migration-source.ts).

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPILED_SERVER = 'dist/src/server.js';
/** A bound on `make build` (tsc over the sources: about 20 s on an idle machine). */
const BUILD_TIMEOUT_MS = 5 * 60_000;

describe('the compiled build (make build, node dist/src/server.js)', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  const databases: { drop(): Promise<void> }[] = [];

  before(async function () {
    if (!DATABASE_KINDS.includes('postgres')) this.skip();
    this.timeout(BUILD_TIMEOUT_MS + 10_000); // the bound below fails first, with make's output
    // `-o` keeps make from reinstalling packages under the running test suite.
    await promisify(execFile)('make', ['-s', '-o', 'node_modules/.installed', 'build'], {
      cwd: PROJECT_ROOT,
      timeout: BUILD_TIMEOUT_MS,
    });
  });

  afterEach(async () => {
    await cleanUpProcesses();
    await Promise.all(databases.splice(0).map((database) => database.drop()));
  });

  async function freshDatabase(): Promise<string> {
    const database = await createEmptyPostgresDatabase('todo_compiled');
    databases.push(database);
    return database.url;
  }

  const startCompiled = (databaseUrl: string): Promise<ServerProcess> =>
    startServer({ script: COMPILED_SERVER, env: { DATABASE_URL: databaseUrl, ...PRODUCTION_ENV } });

  it('serves a database the sources migrated, applying and recording no migration again', async () => {
    const url = await freshDatabase();
    await migratePostgres(url, ADMIN_BOUNDS); // in-process, through tsx: the sources' migrations
    const before = await migrationRows(url);
    expect(before.map((row) => row.name)).to.deep.equal(MIGRATION_FILES);

    const server = await startCompiled(url);
    expect(server.output.stderr).to.equal('');
    expect((await request(server.baseUrl, 'GET', '/health')).status).to.equal(200);
    expect((await request(server.baseUrl, 'GET', '/ready')).status).to.equal(200);
    expect(await migrationRows(url)).to.deep.equal(before);
    await expectCleanStop(server);
  });

  it('migrates an empty database under the names the sources record, which the sources then take as up to date', async () => {
    const [compiledUrl, sourceUrl] = [await freshDatabase(), await freshDatabase()];
    await migratePostgres(sourceUrl, ADMIN_BOUNDS);
    const server = await startCompiled(compiledUrl);
    expect((await request(server.baseUrl, 'GET', '/ready')).status).to.equal(200);
    await expectCleanStop(server);

    const compiled = await migrationRows(compiledUrl);
    expect(compiled.map((row) => row.name)).to.deep.equal(MIGRATION_FILES);
    expect(compiled.map(({ id, name, batch }) => ({ id, name, batch }))).to.deep.equal(
      (await migrationRows(sourceUrl)).map(({ id, name, batch }) => ({ id, name, batch })),
    );
    await migratePostgres(compiledUrl, ADMIN_BOUNDS); // and back to the sources: nothing left to apply
    expect(await migrationRows(compiledUrl)).to.deep.equal(compiled);
  });

  it('answers authenticated requests and serves the spec it was built with', async () => {
    const server = await startCompiled(await freshDatabase());
    const token = await tokenFor('alice', PRODUCTION_TOKEN);
    const created = await request<Task>(server.baseUrl, 'POST', '/api/alice/tasks', {
      token,
      json: { title: 'Compiled' },
    });
    expect(created.status).to.equal(201);
    const read = await request<Task>(server.baseUrl, 'GET', `/api/alice/tasks/${created.body.id}`, { token });
    expect(read.status).to.equal(200);
    expect(read.body).to.include({ id: created.body.id, title: 'Compiled' });
    expect((await request(server.baseUrl, 'GET', '/api/bob/tasks', { token })).status).to.equal(403);
    // Read through import.meta.url from dist/src/http: the copy in dist/generated.
    expect((await request(server.baseUrl, 'GET', '/openapi.json')).status).to.equal(200);
    await expectCleanStop(server);
  });
});

async function expectCleanStop(server: ServerProcess): Promise<void> {
  server.signal('SIGTERM');
  expect(await server.waitForExit()).to.deep.equal({ code: 0, signal: null });
}
