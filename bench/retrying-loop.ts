import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClosedLoopRun } from './closed-loop.js';
import { Recorder, type LoadResult } from './stats.js';

const TIMEOUT_MS = 10_000;

/**
 * Closed loop as a client at its limits runs it: each connection sends its next request as soon
 * as the last is answered, except after a 429, when it waits the `Retry-After` it was given (the
 * rest of the run at most). What such a client gets done is what its limits let through.
 */
export async function runRetryingLoop(run: ClosedLoopRun): Promise<LoadResult> {
  const recorder = new Recorder(run.expected);
  const { hostname, port } = new URL(run.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: run.connections });
  const end = performance.now() + run.seconds * 1000;
  const connection = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      const answer = await send(run, agent, hostname, port);
      if (typeof answer === 'string') {
        recorder.failure(answer === 'timeout');
        continue;
      }
      recorder.response(answer.status, performance.now() - started, answer.retryAfter);
      if (answer.status === 429) await sleep(Math.min(answer.retryAfterSeconds * 1000, end - performance.now()));
    }
  };
  await Promise.all(Array.from({ length: run.connections }, connection));
  agent.destroy();
  return recorder.result(run.seconds);
}

function send(
  run: ClosedLoopRun,
  agent: Agent,
  hostname: string,
  port: string,
): Promise<{ status: number; retryAfter?: string; retryAfterSeconds: number } | 'timeout' | 'error'> {
  const { method, path, headers, body } = run.next();
  return new Promise((resolve) => {
    const req = request({ agent, hostname, port, method, path, headers }, (res) => {
      res.resume();
      const retryAfter = res.headers['retry-after'];
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, retryAfter, retryAfterSeconds: Number(retryAfter ?? 0) }),
      );
    });
    req.setTimeout(TIMEOUT_MS, () => {
      resolve('timeout');
      req.destroy();
    });
    req.on('error', () => resolve('error'));
    req.end(body);
  });
}
