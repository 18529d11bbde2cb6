import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmptyPostgresDatabase, DATABASE_KINDS } from '../helpers/databases.js';
import { cleanUpProcesses, makeTempDir } from '../helpers/server-process.js';
import { commandsOf, shellBlocks, ShellSession, whereIs, type ShellBlock } from '../helpers/shell-blocks.js';
import { freePort } from '../helpers/throwaway-postgres.js';
import { PROCESS_TEST_TIMEOUT_MS } from '../helpers/wait.js';

// Every shell block of the README and of the SDK's README is run, in order, as a newcomer would,
// in one bash session (what a block sets, the next uses), each under `set -euo pipefail`. A block
// that serves until stopped (`make run`, `… make start`) runs in the background, stopping the one
// before, until /health answers. The rewrites, and nothing else: the README's port 8000 becomes a
// free one, its PostgreSQL database `todo` a fresh one, and the SDK README's /path/to/todo-api the
// checkout.

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const README = 'README.md';
const SDK_README = 'generated/sdk/README.md';
const README_PORT = 8000;
const README_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/todo';

/** The server's settings (see .env.example), and what make passes to the commands it runs. */
const NOT_IN_A_FRESH_TERMINAL =
  /^(NODE_ENV|BETTER_AUTH_SECRET|DATABASE_URL|DATA_DIR|HOST|PORT|REDIS_URL|TRUST_PROXY|CORS_ORIGINS|REQUIRE_IF_MATCH|REQUEST_TIMEOUT_MS|LOAD_SHED_WAIT_MS|SHUTDOWN_TIMEOUT_MS|WEB_CONCURRENCY|SPEC_COVERAGE|RUN_JOBS|DATABASE_LISTEN_URL|(JWT|DB|RATE_LIMIT|QUOTA|IDEMPOTENCY|METRICS|LOG|TRASH|CHANGES|EVENT|WEBHOOK|REMINDERS|JOBS)_.*|MAKEFLAGS|MFLAGS|MAKELEVEL|MAKE_TERMOUT|MAKE_TERMERR)$/;

/** `make test` is what runs this test: its block is the one not run here. */
const isMakeTest = (block: ShellBlock) => commandsOf(block).join('\n') === 'make test';

/** A block whose last command serves until stopped (`make run`, `… make start`). */
const startsServer = (block: ShellBlock) => /\bmake (run|start)$/.test(commandsOf(block).at(-1) ?? '');

const blocksOf = (file: string) => shellBlocks(readFileSync(path.join(ROOT, file), 'utf8'), file);

/** Runs the file's shell blocks in order (see above): what they and the servers they started printed. */
async function runShellBlocks(file: string, cwd: string, rewrite: (code: string) => string): Promise<string> {
  const port = await freePort();
  // A terminal of this machine (its PATH, HOME, certificates for the npm registry) without the
  // project's settings or make's; the data directory and the port are the test's own.
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !NOT_IN_A_FRESH_TERMINAL.test(name))),
    DATA_DIR: path.join(await makeTempDir(), 'data'),
    PORT: String(port),
  };
  const rewritten = (code: string) =>
    rewrite(code)
      .replaceAll(`127.0.0.1:${README_PORT}`, `127.0.0.1:${port}`)
      .replaceAll(`PORT=${README_PORT}`, `PORT=${port}`);
  const health = () =>
    fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.ok,
      () => false,
    );
  const shell = new ShellSession(await makeTempDir(), cwd, env);
  const printed: string[] = [];
  try {
    for (const block of blocksOf(file)) {
      if (isMakeTest(block)) continue;
      if (startsServer(block)) {
        printed.push(await shell.stop());
        await shell.start(block, `cd ${ROOT}\n${rewritten(block.code)}`, health);
      } else printed.push(await shell.run(block, rewritten(block.code)));
    }
  } finally {
    printed.push(await shell.close());
  }
  return printed.join('\n');
}

function expectNoFailure(printed: string): void {
  expect(printed, 'a 5xx answer').to.not.match(/"status":\s*5\d\d/);
  expect(printed, 'a curl error').to.not.match(/^curl: \(\d+\)/m);
}

describe('the READMEs: every shell block runs as written', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  afterEach(cleanUpProcesses);

  it(`${README}: starts the server, gets a token, runs every walkthrough, starts production on PostgreSQL, with no failing command and no 5xx`, async function () {
    if (!DATABASE_KINDS.includes('postgres')) this.skip(); // databases.ts has warned (and fails under CI)
    const blocks = blocksOf(README);
    expect(blocks.filter(isMakeTest), 'the one block not run here').to.have.lengthOf(1);
    expect(startsServer(blocks[0]!), `${whereIs(blocks[0]!)} starts the server first`).to.equal(true);
    const database = await createEmptyPostgresDatabase('todo_readme');
    try {
      const printed = await runShellBlocks(README, ROOT, (code) => code.replaceAll(README_DATABASE_URL, database.url));
      expectNoFailure(printed);
    } finally {
      await database.drop();
    }
  });

  it(`${SDK_README}: makes a project and installs the SDK in it as written, and starts the server for a frontend on another origin`, async () => {
    expect(blocksOf(SDK_README).some(isMakeTest)).to.equal(false);
    // The reader's own folder, outside the API's checkout, which the README calls /path/to/todo-api.
    const cwd = await makeTempDir();
    expectNoFailure(await runShellBlocks(SDK_README, cwd, (code) => code.replaceAll('/path/to/todo-api', ROOT)));
    const project = JSON.parse(readFileSync(path.join(cwd, 'todo-client', 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(project.dependencies, 'the project made as the README says').to.have.property('@todo-tasks/sdk');
  });
});
