import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRODUCTION_TOKEN, TEST_SECRET } from './tokens.js';
import { EXIT_BOUND_MS, START_BOUND_MS, within } from './wait.js';

// Runs the real server (and the CLI scripts) as child processes, with a minimal explicit
// environment. Every child and every temporary directory is tracked: `cleanUpProcesses()`
// (an afterEach hook) kills what still runs and removes the directories, so no failure path
// leaves anything behind. Waits are for the event (a log line, the exit), each bounded: a bound
// that runs out fails with what was awaited and the output so far.

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SERVER_SCRIPT = 'src/server.ts';

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
  /** The complete lines of stdout that are JSON objects (log lines), in order. */
  readonly lines: LogLine[];
  /** Emits `change` when lines arrive and when the process has exited. */
  readonly changes: EventEmitter;
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

/** A METRICS_TOKEN for servers in production mode, which require one. */
export const PRODUCTION_METRICS_TOKEN = 'production-metrics-token-0123456789';

/**
 * NODE_ENV=production with what it requires: JWT_ISSUER and JWT_AUDIENCE, which the tests' tokens
 * name (tokenFor(user, PRODUCTION_TOKEN)), and a METRICS_TOKEN.
 */
export const PRODUCTION_ENV: EnvOverrides = {
  NODE_ENV: 'production',
  JWT_ISSUER: PRODUCTION_TOKEN.issuer,
  JWT_AUDIENCE: PRODUCTION_TOKEN.audience,
  METRICS_TOKEN: PRODUCTION_METRICS_TOKEN,
};

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
  const lines: LogLine[] = [];
  const changes = new EventEmitter();
  let parsedUpTo = 0; // stdout before this index has been split into lines
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output.stdout += chunk;
    const end = output.stdout.lastIndexOf('\n') + 1;
    if (end <= parsedUpTo) return;
    lines.push(...parseLogLines(output.stdout.slice(parsedUpTo, end)));
    parsedUpTo = end;
    changes.emit('change');
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  const child: Child = {
    process: proc,
    output,
    lines,
    changes,
    exit: undefined,
    exited: new Promise<Exit>((resolve) => {
      const finish = (exit: Exit) => {
        if (!child.exit) {
          child.exit = exit;
          lines.push(...parseLogLines(output.stdout.slice(parsedUpTo))); // a last line without its newline
          parsedUpTo = output.stdout.length;
        }
        liveChildren.delete(child);
        resolve(child.exit);
        changes.emit('change');
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
  await within(child.exited, EXIT_BOUND_MS, `process ${child.process.pid} to die after SIGKILL`, () =>
    describeOutput(child),
  );
}

function describeExit(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

function describeOutput(child: Child): string {
  return `\n--- stdout\n${child.output.stdout}--- stderr\n${child.output.stderr}---`;
}

export function parseLogLines(stdout: string): LogLine[] {
  return stdout.split('\n').flatMap((line): LogLine[] => {
    try {
      const parsed: unknown = JSON.parse(line);
      return parsed && typeof parsed === 'object' ? [parsed as LogLine] : [];
    } catch {
      return [];
    }
  });
}

/**
 * Resolves with what `find` finds in the log lines, checked again as each line arrives; fails when
 * the process exits first or after `timeoutMs`, with `what` and the output so far.
 */
function waitForLines<T>(
  child: Child,
  find: (lines: readonly LogLine[]) => T | undefined,
  what: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      child.changes.off('change', check);
    };
    const fail = (message: string) => {
      stop();
      reject(new Error(`${message}${describeOutput(child)}`));
    };
    function check() {
      const found = find(child.lines);
      if (found !== undefined) {
        stop();
        resolve(found);
      } else if (child.exit)
        fail(`process ${child.process.pid} exited with ${describeExit(child.exit)} before ${what}`);
    }
    const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms waiting for ${what}`), timeoutMs);
    child.changes.on('change', check);
    check();
  });
}

/** The first log line whose msg starts with `prefix`; fails if the process exits first. */
function waitForLogLine(child: Child, prefix: string, timeoutMs: number): Promise<LogLine> {
  return waitForLines(
    child,
    (lines) => lines.find((entry) => String(entry.msg).startsWith(prefix)),
    `the log line "${prefix}"`,
    timeoutMs,
  );
}

export interface Finished extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --import tsx <script> <args>` (plain node for a `.js` script) to its end (bounded; killed on timeout). */
export async function runScript(
  script: string,
  args: readonly string[] = [],
  options: ChildOptions = {},
): Promise<Finished> {
  const dataDir = options.dataDir ?? (await makeTempDir());
  const child = spawnScript(script, args, baseEnv(dataDir, options.env));
  const timeoutMs = options.timeoutMs ?? START_BOUND_MS;
  try {
    const exit = await within(child.exited, timeoutMs, `${script} to exit`, () => describeOutput(child));
    return { ...exit, ...child.output };
  } catch (error) {
    await kill(child);
    throw error;
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
  /** The first log line whose msg starts with `prefix`, as soon as it is written (bounded; fails if the process exits first). */
  waitForLog(prefix: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves once `holds(log lines)`, checked as each line arrives (bounded; fails if the process exits first). */
  waitForLogs(holds: (lines: readonly LogLine[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
}

/** A server process that has not necessarily started listening. */
export type StartingServer = Pick<
  ServerProcess,
  'pid' | 'dataDir' | 'output' | 'logs' | 'signal' | 'exited' | 'waitForExit' | 'waitForLog' | 'waitForLogs'
>;

/** Starts the server (`src/server.ts` unless `options.script`) and returns once it has logged a line starting with `prefix`; kills it if it does not. */
export async function startServerUntil(
  prefix: string,
  options: ChildOptions = {},
): Promise<StartingServer & { line: LogLine }> {
  const dataDir = options.dataDir ?? (await makeTempDir());
  const child = spawnScript(options.script ?? SERVER_SCRIPT, [], baseEnv(dataDir, options.env));
  let line: LogLine;
  try {
    line = await waitForLogLine(child, prefix, options.timeoutMs ?? START_BOUND_MS);
  } catch (error) {
    await kill(child);
    throw new Error(`the server did not start: ${(error as Error).message}`, { cause: error });
  }
  return {
    line,
    pid: child.process.pid!,
    dataDir,
    output: child.output,
    logs: () => [...child.lines],
    signal: (name) => void child.process.kill(name),
    exited: child.exited,
    waitForExit: (timeoutMs = EXIT_BOUND_MS) =>
      within(child.exited, timeoutMs, `server ${child.process.pid} to exit`, () => describeOutput(child)),
    waitForLog: (logPrefix, timeoutMs = EXIT_BOUND_MS) => waitForLogLine(child, logPrefix, timeoutMs),
    waitForLogs: async (holds, what, timeoutMs = EXIT_BOUND_MS) => {
      await waitForLines(child, (lines) => (holds(lines) ? true : undefined), what, timeoutMs);
    },
  };
}

/** Starts the server (`src/server.ts` unless `options.script`) and waits until it logs that it listens; kills it if it does not. */
export async function startServer(options: ChildOptions = {}): Promise<ServerProcess> {
  const { line, ...server } = await startServerUntil('listening on', options);
  if (typeof line.port !== 'number') {
    server.signal('SIGKILL');
    throw new Error('the "listening on" log line has no numeric port');
  }
  return { ...server, baseUrl: `http://${typeof line.host === 'string' ? line.host : '127.0.0.1'}:${line.port}` };
}
