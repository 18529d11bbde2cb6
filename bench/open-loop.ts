import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { BenchUser, HttpRequest } from './scenarios.js';
import { Recorder, type LoadResult } from './stats.js';

export interface OpenLoopRun {
  readonly baseUrl: string;
  readonly users: readonly BenchUser[];
  /** Requests per second from each user. */
  readonly ratePerUser: number;
  readonly seconds: number;
  readonly expected: readonly number[];
  readonly next: (user: BenchUser) => HttpRequest;
}

const TIMEOUT_MS = 10_000;

/**
 * Open loop: every user sends on a fixed schedule whatever the server's pace, over its own
 * keep-alive connection, the users' phases spread evenly across each period. Latency counts from
 * the time a request was due, not from when it left: a request that waits behind its user's
 * previous one (one connection per user) is late by that wait, so a stalling server cannot hide
 * behind a slower send rate (coordinated omission).
 */
export function runOpenLoop(run: OpenLoopRun): Promise<LoadResult> {
  const recorder = new Recorder(run.expected);
  const { hostname, port } = new URL(run.baseUrl);
  const agents = run.users.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const periodMs = 1000 / run.ratePerUser;
  const count = Math.floor(run.seconds * run.ratePerUser * run.users.length);
  const start = performance.now();
  // The k-th send overall: user k mod n, in period floor(k / n), at that user's phase.
  const dueAt = (k: number) =>
    start + Math.floor(k / run.users.length) * periodMs + ((k % run.users.length) * periodMs) / run.users.length;

  return new Promise((resolve) => {
    let sent = 0;
    let settled = 0;
    const settle = () => {
      if (++settled < count) return;
      for (const agent of agents) agent.destroy();
      resolve({ ...recorder.result(run.seconds), offeredPerSecond: Math.round(count / run.seconds) });
    };
    const send = (k: number) => {
      const due = dueAt(k);
      const userIndex = k % run.users.length;
      const { method, path, headers, body } = run.next(run.users[userIndex]!);
      let done = false;
      const finish = (record: () => void) => {
        if (done) return;
        done = true;
        record();
        settle();
      };
      const req = request({ agent: agents[userIndex], hostname, port, method, path, headers }, (res) => {
        res.resume();
        res.on('end', () =>
          finish(() => recorder.response(res.statusCode ?? 0, performance.now() - due, res.headers['retry-after'])),
        );
      });
      req.setTimeout(TIMEOUT_MS, () => {
        finish(() => recorder.failure(true));
        req.destroy();
      });
      req.on('error', () => finish(() => recorder.failure(false)));
      req.end(body);
    };
    const tick = () => {
      const now = performance.now();
      while (sent < count && dueAt(sent) <= now) send(sent++);
      if (sent < count) setTimeout(tick, Math.max(0, dueAt(sent) - performance.now()));
    };
    tick();
  });
}
