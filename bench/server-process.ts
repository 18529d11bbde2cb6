import type { ChildProcess } from 'node:child_process';
import { freePort, startNode, stopChild, tail } from './children.js';

export interface RunningServer {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

/**
 * Starts a server (`entry` run with tsx, or plain node when `tsx` is false, extra node flags in
 * `nodeArgs`) on a free loopback port and resolves once GET /health answers 200.
 */
export async function startServer(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  { nodeArgs = [], tsx = true }: { nodeArgs?: readonly string[]; tsx?: boolean } = {},
): Promise<RunningServer> {
  const port = await freePort();
  const child = startNode(
    [...nodeArgs, entry],
    { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    { tsx },
  );
  const output = tail(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(child, url);
  } catch (error) {
    await stopChild(child);
    throw new Error(`${name} did not start: ${(error as Error).message}\n${output()}`, { cause: error });
  }
  return { name, url, pid: child.pid!, stop: () => stopChild(child) };
}

async function waitForHealth(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`it exited with code ${child.exitCode}`);
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer from ${url}/health within ${START_TIMEOUT_MS / 1000} s`);
}
