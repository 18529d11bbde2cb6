import autocannon from 'autocannon';
import type { HttpRequest } from './scenarios.js';
import { Recorder, type LoadResult } from './stats.js';

export interface ClosedLoopRun {
  readonly baseUrl: string;
  readonly connections: number;
  readonly seconds: number;
  readonly expected: readonly number[];
  readonly next: () => HttpRequest;
}

/** Seconds without a response before autocannon counts a timeout. */
const TIMEOUT_SECONDS = 10;

/**
 * Closed loop with autocannon: every connection sends its next request as soon as the last one is
 * answered. Latencies are taken from each response, not from autocannon's summary, which has no p95.
 */
export function runClosedLoop(run: ClosedLoopRun): Promise<LoadResult> {
  const recorder = new Recorder(run.expected);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: run.baseUrl,
        connections: run.connections,
        duration: run.seconds,
        timeout: TIMEOUT_SECONDS,
        requests: [{ setupRequest: (request) => ({ ...request, ...run.next() }) }],
      },
      (error, result) => {
        if (error) return reject(error);
        // autocannon counts a timeout among its errors as well.
        for (let i = 0; i < result.errors - result.timeouts; i++) recorder.failure(false);
        for (let i = 0; i < result.timeouts; i++) recorder.failure(true);
        resolve(recorder.result(result.duration));
      },
    );
    instance.on('response', (_client, status, _bytes, latencyMs) => recorder.response(status, latencyMs));
  });
}
