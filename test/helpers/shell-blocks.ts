import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EVENT_BOUND_MS, EXIT_BOUND_MS, pollUntil, START_BOUND_MS, within } from './wait.js';

/** A fenced shell block of a Markdown file (```bash, ```sh or ```shell). */
export interface ShellBlock {
  readonly file: string;
  /** The line of its opening fence, from 1. */
  readonly line: number;
  readonly code: string;
}

const SHELL_LANGUAGES = new Set(['bash', 'sh', 'shell']);

export function shellBlocks(markdown: string, file: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  let open: { line: number; language: string; lines: string[] } | undefined;
  markdown.split('\n').forEach((text, index) => {
    const fence = /^```\s*(\S*)/.exec(text);
    if (!open) {
      if (fence) open = { line: index + 1, language: fence[1]!, lines: [] };
      return;
    }
    if (!fence) return void open.lines.push(text);
    if (SHELL_LANGUAGES.has(open.language)) blocks.push({ file, line: open.line, code: open.lines.join('\n') });
    open = undefined;
  });
  return blocks;
}

/** The block's commands: continuation lines joined, comments and blank lines left out. */
export function commandsOf(block: ShellBlock): string[] {
  return block.code
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '');
}

/** Where a block is: `README.md:17`. */
export const whereIs = (block: ShellBlock) => `${block.file}:${block.line}`;

/** A block running in the background (a server), in a process group of its own. */
interface Background {
  readonly block: ShellBlock;
  readonly pid: number;
  readonly log: string;
}

/**
 * One bash session that runs blocks one after another, as a reader pasting them into one
 * terminal would: what a block sets or exports (TOKEN, AUTH, DATABASE_URL) is there for the next.
 * Each block runs under `set -euo pipefail`, so a failing command, an unset variable or a failing
 * pipe stops it. A block that serves until stopped runs in the background, as a job of its own
 * (job control puts it in its own process group, so that stopping it reaches make and the server).
 */
export class ShellSession {
  private readonly bash: ChildProcess;
  private output = '';
  private blockCount = 0;
  private exited = false;
  /** Told of each chunk of output and of the exit. */
  private readonly changes = new EventEmitter();
  private background: Background | undefined;

  constructor(
    private readonly dir: string,
    cwd: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
      this.changes.emit('change');
    };
    this.bash.stdout!.on('data', collect);
    this.bash.stderr!.on('data', collect);
    this.bash.once('exit', () => {
      this.exited = true;
      this.changes.emit('change');
    });
    this.bash.stdin!.write('set -m\n');
  }

  /** Runs the block's code; resolves with what it printed, or rejects naming the block and its output. */
  async run(block: ShellBlock, code: string, timeoutMs = START_BOUND_MS): Promise<string> {
    return this.send(block, code, (file) => `source ${file}`, timeoutMs);
  }

  /**
   * Starts the block's code in the background (stopping the one started before) and resolves once
   * `ready()` holds; rejects if the block ends first or `ready()` never holds.
   */
  async start(block: ShellBlock, code: string, ready: () => Promise<boolean>): Promise<void> {
    await this.stop();
    const log = path.join(this.dir, `background-${this.blockCount + 1}.log`);
    const printed = await this.send(block, code, (file) => `(source ${file}) >${log} 2>&1 & echo "pid=$!"`);
    const background = { block, pid: Number(/pid=(\d+)/.exec(printed)![1]), log };
    this.background = background;
    const output = async () => `\n--- output of ${whereIs(block)}\n${await readFile(log, 'utf8')}---`;
    await pollUntil(
      async () => {
        if (!isRunning(background.pid)) throw new Error(`${whereIs(block)} ended before serving${await output()}`);
        return ready();
      },
      `${whereIs(block)} to serve`,
      { ms: START_BOUND_MS, everyMs: 100 },
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}${await output().catch(() => '')}`);
    });
  }

  /** Stops the background block, if any (SIGTERM to its process group, SIGKILL if it outlasts the bound); what it printed. */
  async stop(): Promise<string> {
    const background = this.background;
    if (!background) return '';
    this.background = undefined;
    signalGroup(background.pid, 'SIGTERM');
    await pollUntil(() => !isRunning(background.pid), `${whereIs(background.block)} to stop`, {
      ms: EXIT_BOUND_MS,
    }).catch((error: unknown) => {
      signalGroup(background.pid, 'SIGKILL'); // nothing it started outlives the test
      throw error;
    });
    return readFile(background.log, 'utf8');
  }

  /** Stops the background block and ends the shell (killing it if a block still runs). */
  async close(): Promise<string> {
    const printed = await this.stop();
    if (!this.exited) {
      this.bash.stdin!.end();
      const exited = once(this.bash, 'exit');
      if (!this.exited)
        await within(exited, EVENT_BOUND_MS, 'the shell to exit').catch(() => this.bash.kill('SIGKILL'));
    }
    return printed;
  }

  private async send(
    block: ShellBlock,
    code: string,
    command: (file: string) => string,
    timeoutMs = EVENT_BOUND_MS,
  ): Promise<string> {
    const file = path.join(this.dir, `block-${++this.blockCount}.sh`);
    await writeFile(file, `set -euo pipefail\n${code}\nset +euo pipefail\n`);
    const marker = `--- block ${this.blockCount} ended with status `;
    const start = this.output.length;
    this.bash.stdin!.write(`${command(file)}; echo "${marker}$?"\n`);
    const ended = new RegExp(`${marker}(\\d+)\\n`);
    const fail = (why: string) =>
      new Error(`${whereIs(block)} ${why}:\n${code}\n--- output\n${this.output.slice(start)}---`);
    let check = () => undefined as void;
    const done = new Promise<void>((resolve) => {
      check = () => {
        if (this.exited || ended.test(this.output.slice(start))) resolve();
      };
      this.changes.on('change', check);
    });
    try {
      await within(done, timeoutMs, `${whereIs(block)} to end`);
    } catch (error) {
      this.bash.kill('SIGKILL');
      throw fail((error as Error).message);
    } finally {
      this.changes.off('change', check);
    }
    if (this.exited) throw fail('stopped the shell (a command failed under set -e)');
    const printed = this.output.slice(start);
    const status = Number(ended.exec(printed)![1]);
    if (status !== 0) throw fail(`ended with status ${status}`);
    return printed.slice(0, printed.search(ended));
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
