import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Written by the child while nothing reads its stdout: three times the logger's buffer. */
const WRITTEN_BYTES = 12 * 1024 * 1024;

describe('the log on stdout, written asynchronously', () => {
  it('drops lines rather than holding them while stdout is not read, and writes what it holds at exit', async function () {
    this.timeout(60_000);
    const script = `
      import { createLogger } from './src/logger.ts';
      const logger = createLogger({ logLevel: 'info', logFormat: 'json' });
      const filler = 'x'.repeat(1000);
      for (let written = 0; written < ${WRITTEN_BYTES}; written += 1100) logger.info({ filler }, 'line');
      process.stderr.write('logged\\n', () => process.exit(0));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pause(); // read nothing until every line has been logged
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number]>;
    while (!stderr.includes('logged') && child.exitCode === null) await once(child.stderr, 'data');
    let received = 0;
    child.stdout.on('data', (chunk: Buffer) => (received += chunk.length));
    const ended = once(child.stdout, 'end');
    child.stdout.resume();
    const [code] = await exited;
    await ended;
    expect(code).to.equal(0);
    // The pipe's buffer and the bounded one, written at exit: some lines, far from all of them.
    expect(received).to.be.greaterThan(1024 * 1024);
    expect(received).to.be.lessThan(WRITTEN_BYTES / 2);
  });
});
