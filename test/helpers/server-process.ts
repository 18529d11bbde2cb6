import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../../src/lifecycle/with-timeout.js';
import { TEST_SECRET } from './tokens.js';

// Runs the real server (and the CLI scripts) as child processes, with a minimal explicit
// environment. Every child and every temporary directory is tracked: `cleanUpProcesses()`
// (an afterEach hook) kills what still runs and removes the directories, so no failure path
// leaves anything behind.

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SERVER_SCRIPT = 'src/server.ts';

export const START_TIMEOUT_MS = 30_000;
export const EXIT_TIMEOUT_MS = 15_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Overrides of the base environment; `undefined` removes a variable. */
export type EnvOverrides = Readonly<Record<string, string | undefined>>;

export interface ChildOptions {
  /** DATA_DIR; a fresh temporary directory when absent. */
  readonly dataDir?: string;
  readonly env?: EnvOverrides;
  readonly timeoutMs?: number;
  /** The server's entry: SERVER_SCRIPT (through tsx) by default; a `.js` one (dist/src/server.js) runs compiled, without tsx. */
  readonly script?: string;
}

export type LogLine = Record<string, unknown> & { readonly msg?: unknown };

/** A child process with everything it printed so far. */
interface Child {
  readonly process: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  /** Set once the process has exited and its output is complete. */
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;
}

const liveChildren = new Set<Child>();
const tempDirs = new Set<string>();

// Last resort if the test runner exits without running the hooks.
process.once('exit', () => {
  for (const child of liveChildren) child.process.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under the OS temp dir, removed by `cleanUpProcesses()`. */
export async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'todo-process-test-'));
  tempDirs.add(dir);
  return dir;
}

/** Kills every child still running and removes every temporary directory. */
export async function cleanUpProcesses(): Promise<void> {
  await Promise.all([...liveChildren].map(kill));
  const dirs = [...tempDirs];
  tempDirs.clear();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

export { withTimeout };

function baseEnv(dataDir: string, overrides: EnvOverrides = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? os.homedir(),
    BETTER_AUTH_SECRET: TEST_SECRET,
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_FORMAT: 'json',
    NODE_ENV: 'test',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

function spawnScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Child {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...loader, script, ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  const child: Child = {
    process: proc,
    output,
    exit: undefined,
    exited: new Promise<Exit>((resolve) => {
      const finish = (exit: Exit) => {
        child.exit ??= exit;
        liveChildren.delete(child);
        resolve(child.exit);
      };
      // 'close' comes after the output streams have ended, so the output is complete.
      proc.once('close', (code, signal) => finish({ code, signal }));
      proc.once('error', (error) => {
        output.stderr += `${String(error)}\n`;
        finish({ code: null, signal: null });
      });
    }),
  };
  liveChildren.add(child);
  return child;
}

async function kill(child: Child): Promise<void> {
  if (!child.exit) child.process.kill('SIGKILL');
  await withTimeout(child.exited, EXIT_TIMEOUT_MS, `process ${child.process.pid} to die`);
}

function describeExit(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

function describeOutput(child: Child): string {
  return `\n--- stdout\n${child.output.stdout}--- stderr\n${child.output.stderr}---`;
}

export function parseLogLines(stdout: string): LogLine[] {
  return stdout.split('\n').flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return parsed && typeof parsed === 'object' ? [parsed as LogLine] : [];
    } catch {
      return [];
    }
  });
}

/** The first log line whose msg starts with `prefix`; fails if the process exits first. */
async function waitForLogLine(child: Child, prefix: string, timeoutMs: number): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = parseLogLines(child.output.stdout).find((entry) => String(entry.msg).startsWith(prefix));
    if (line) return line;
    if (child.exit) throw new Error(`exited with ${describeExit(child.exit)} before logging "${prefix}"`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the log line "${prefix}"`);
    await sleep(25);
  }
}

export interface Finished extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --import tsx <script> <args>` (plain node for a `.js` script) to its end (bounded; killed on timeout). */
export async function runScript(script: string, args: readonly string[] = [], options: ChildOptions = {}): Promise<Finished> {
  const dataDir = options.dataDir ?? (await makeTempDir());
  const child = spawnScript(script, args, baseEnv(dataDir, options.env));
  const timeoutMs = options.timeoutMs ?? START_TIMEOUT_MS;
  try {
    const exit = await withTimeout(child.exited, timeoutMs, `${script} to exit`);
    return { ...exit, ...child.output };
  } catch (error) {
    await kill(child);
    throw new Error(`${(error as Error).message}${describeOutput(child)}`);
  }
}

/** Runs the server when it is expected to stop by itself (a start-up error). */
export function runServerToExit(options: ChildOptions = {}): Promise<Finished> {
  return runScript(options.script ?? SERVER_SCRIPT, [], options);
}

export interface ServerProcess {
  readonly pid: number;
  readonly baseUrl: string;
  readonly dataDir: string;
  /** Everything the server printed so far. */
  readonly output: { readonly stdout: string; readonly stderr: string };
  logs(): LogLine[];
  signal(name: NodeJS.Signals): void;
  readonly exited: Promise<Exit>;
  /** `exited`, bounded. */
  waitForExit(timeoutMs?: number): Promise<Exit>;
  waitForLog(prefix: string, timeoutMs?: number): Promise<LogLine>;
}

/** A server process that has not necessarily started listening. */
export type StartingServer = Pick<ServerProcess, 'pid' | 'dataDir' | 'output' | 'logs' | 'signal' | 'exited' | 'waitForExit' | 'waitForLog'>;

/** Starts the server (`src/server.ts` unless `options.script`) and returns once it has logged a line starting with `prefix`; kills it if it does not. */
export async function startServerUntil(prefix: string, options: ChildOptions = {}): Promise<StartingServer & { line: LogLine }> {
  const dataDir = options.dataDir ?? (await makeTempDir());
  const child = spawnScript(options.script ?? SERVER_SCRIPT, [], baseEnv(dataDir, options.env));
  let line: LogLine;
  try {
    line = await waitForLogLine(child, prefix, options.timeoutMs ?? START_TIMEOUT_MS);
  } catch (error) {
    await kill(child);
    throw new Error(`the server did not start: ${(error as Error).message}${describeOutput(child)}`);
  }
  return {
    line,
    pid: child.process.pid!,
    dataDir,
    output: child.output,
    logs: () => parseLogLines(child.output.stdout),
    signal: (name) => void child.process.kill(name),
    exited: child.exited,
    waitForExit: (timeoutMs = EXIT_TIMEOUT_MS) => withTimeout(child.exited, timeoutMs, `server ${child.process.pid} to exit`),
    waitForLog: (logPrefix, timeoutMs = EXIT_TIMEOUT_MS) => waitForLogLine(child, logPrefix, timeoutMs),
  };
}

/** Starts the server (`src/server.ts` unless `options.script`) and waits until it logs that it listens; kills it if it does not. */
export async function startServer(options: ChildOptions = {}): Promise<ServerProcess> {
  const { line, ...server } = await startServerUntil('listening on', options);
  if (typeof line.port !== 'number') {
    server.signal('SIGKILL');
    throw new Error('the "listening on" log line has no numeric port');
  }
  return { ...server, baseUrl: `http://${String(line.host ?? '127.0.0.1')}:${line.port}` };
}
