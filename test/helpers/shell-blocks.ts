import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EVENT_BOUND_MS, within } from './wait.js';

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

/**
 * One bash session that runs blocks one after another, as a reader pasting them into one
 * terminal would: what a block sets (TOKEN, AUTH, ID) is there for the next. Each block runs
 * under `set -euo pipefail`, so a failing command, an unset variable or a failing pipe stops it.
 */
export class ShellSession {
  private readonly bash: ChildProcess;
  private output = '';
  private blockCount = 0;
  private exited = false;
  /** Told of each chunk of output and of the exit. */
  private readonly changes = new EventEmitter();

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
  }

  /** Runs the block's code; resolves with what it printed, or rejects naming the block and its output. */
  async run(block: ShellBlock, code: string, timeoutMs: number): Promise<string> {
    const file = path.join(this.dir, `block-${++this.blockCount}.sh`);
    await writeFile(file, `set -euo pipefail\n${code}\nset +euo pipefail\n`);
    const marker = `--- block ${this.blockCount} ended with status `;
    const start = this.output.length;
    this.bash.stdin!.write(`source ${file}; echo "${marker}$?"\n`);
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

  async close(): Promise<void> {
    if (this.exited) return;
    this.bash.stdin!.end();
    await within(once(this.bash, 'exit'), EVENT_BOUND_MS, 'the shell to exit');
  }
}
