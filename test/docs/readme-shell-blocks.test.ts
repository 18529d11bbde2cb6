import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUpProcesses, makeTempDir } from '../helpers/server-process.js';
import { commandsOf, shellBlocks, ShellSession, whereIs, type ShellBlock } from '../helpers/shell-blocks.js';
import { freePort } from '../helpers/throwaway-postgres.js';
import {
  EVENT_BOUND_MS,
  EXIT_BOUND_MS,
  pollUntil,
  PROCESS_TEST_TIMEOUT_MS,
  START_BOUND_MS,
  within,
} from '../helpers/wait.js';

// Every shell block of the README and of the SDK's README is run, in order, as a newcomer would:
// a block that starts the server (`make run`, `… make start`) runs in the background, in the API's
// checkout, until /health answers (stopping the one before); the others run one after another in
// one bash session (what one sets, the next uses), each under `set -euo pipefail`. The rewrites:
// the README's port 8000 becomes a free one, and the SDK README's /path/to/todo-api the checkout.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = 'README.md';
const SDK_README = 'generated/sdk/README.md';
const README_PORT = 8000;

/** `make test` is what runs this test: its block is the one not run here. */
const isMakeTest = (block: ShellBlock) => commandsOf(block).join('\n') === 'make test';

/** A block whose last command serves until stopped (`make run`, `… make start`). */
const startsServer = (block: ShellBlock) => /\bmake (run|start)$/.test(commandsOf(block).at(-1) ?? '');

/** A server a block started, in a process group of its own (make, its shell, node). */
class BackgroundBlock {
  private readonly process: ChildProcess;
  private output = '';
  private readonly exited: Promise<unknown>;

  constructor(
    readonly block: ShellBlock,
    code: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.process = spawn('bash', ['-c', code], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.process.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = once(this.process, 'exit');
  }

  async waitForHealth(port: number): Promise<void> {
    let stopped = false;
    void this.exited.then(() => (stopped = true));
    await pollUntil(
      async () => {
        if (stopped) throw new Error(`${whereIs(this.block)} stopped before serving:\n${this.output}`);
        return fetch(`http://127.0.0.1:${port}/health`).then(
          (response) => response.ok,
          () => false,
        );
      },
      `${whereIs(this.block)} to serve /health`,
      { ms: START_BOUND_MS, everyMs: 100, context: () => `\n--- output\n${this.output}---` },
    );
  }

  /** Stops the whole group (make passes nothing on: the server gets SIGTERM itself). */
  async stop(): Promise<string> {
    if (this.process.exitCode === null && this.process.signalCode === null) process.kill(-this.process.pid!, 'SIGTERM');
    await within(this.exited, EXIT_BOUND_MS, `${whereIs(this.block)} to stop`);
    return this.output;
  }
}

/** Runs the file's shell blocks in order (see above); what they printed, with the servers' output. */
async function runShellBlocks(
  file: string,
  { cwd, rewrite }: { cwd: string; rewrite: (code: string) => string },
  env: NodeJS.ProcessEnv,
  port: number,
): Promise<string> {
  const blocks = shellBlocks(readFileSync(path.join(ROOT, file), 'utf8'), file);
  const shell = new ShellSession(await makeTempDir(), cwd, env);
  let server: BackgroundBlock | undefined;
  const printed: string[] = [];
  try {
    for (const block of blocks) {
      if (isMakeTest(block)) continue;
      if (startsServer(block)) {
        if (server) printed.push(await server.stop());
        server = new BackgroundBlock(block, rewrite(block.code), env);
        await server.waitForHealth(port);
      } else printed.push(await shell.run(block, rewrite(block.code), EVENT_BOUND_MS));
    }
  } finally {
    await shell.close();
    if (server) printed.push(await server.stop());
  }
  return printed.join('\n');
}

/** What a fresh terminal has: no secret, no NODE_ENV; the data directory and the port are the test's own. */
async function freshTerminal(): Promise<{
  env: NodeJS.ProcessEnv;
  port: number;
  rewritePort: (code: string) => string;
}> {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: path.join(await makeTempDir(), 'data'),
    PORT: String(port),
  };
  const rewritePort = (code: string) =>
    code.replaceAll(`127.0.0.1:${README_PORT}`, `127.0.0.1:${port}`).replaceAll(`PORT=${README_PORT}`, `PORT=${port}`);
  return { env, port, rewritePort };
}

function expectNoFailure(printed: string): void {
  expect(printed, 'a 5xx answer').to.not.match(/"status":\s*5\d\d/);
  expect(printed, 'a curl error').to.not.match(/^curl: \(\d+\)/m);
}

describe('the READMEs: every shell block runs as written', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  afterEach(cleanUpProcesses);

  it(`${README}: starts the server, gets a token and runs every walkthrough against it, with no failing command and no 5xx`, async () => {
    const blocks = shellBlocks(readFileSync(path.join(ROOT, README), 'utf8'), README);
    expect(blocks.filter(isMakeTest), 'the one block not run here').to.have.lengthOf(1);
    expect(startsServer(blocks[0]!), `${whereIs(blocks[0]!)} starts the server first`).to.equal(true);
    const { env, port, rewritePort } = await freshTerminal();
    expectNoFailure(await runShellBlocks(README, { cwd: ROOT, rewrite: rewritePort }, env, port));
  });

  it(`${SDK_README}: makes a project and installs the SDK in it as written, and starts the server for a frontend on another origin`, async () => {
    const blocks = shellBlocks(readFileSync(path.join(ROOT, SDK_README), 'utf8'), SDK_README);
    expect(blocks.some(isMakeTest)).to.equal(false);
    const { env, port, rewritePort } = await freshTerminal();
    // The reader's own folder, outside the API's checkout, which the README calls /path/to/todo-api.
    const cwd = await makeTempDir();
    const rewrite = (code: string) => rewritePort(code).replaceAll('/path/to/todo-api', ROOT.replace(/\/$/, ''));
    expectNoFailure(await runShellBlocks(SDK_README, { cwd, rewrite }, env, port));
    const project = JSON.parse(readFileSync(path.join(cwd, 'todo-client', 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(project.dependencies, 'the project made as the README says').to.have.property('@todo-tasks/sdk');
  });
});
