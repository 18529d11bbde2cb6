import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Every child this run started and has not yet seen exit, so that a failing run can stop them all. */
const running = new Set<ChildProcess>();

/**
 * Starts `node --import tsx <args>` from the project root, or plain `node <args>` without `tsx`
 * (compiled JavaScript, as production runs our server); remembers it until it exits.
 */
export function startNode(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  { tsx = true }: { tsx?: boolean } = {},
): ChildProcess {
  const child = spawn(process.execPath, [...(tsx ? ['--import', 'tsx'] : []), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Asks the child to stop (SIGTERM); kills it after `graceMs`. Resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** The last `limit` characters a child wrote, for the message when it fails. */
export function tail(child: ChildProcess, limit = 4000): () => string {
  let text = '';
  const keep = (chunk: Buffer) => (text = (text + chunk.toString()).slice(-limit));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1');
    probe.once('error', reject);
    probe.once('listening', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
