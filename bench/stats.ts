/** What one scenario measured, as the load worker reports it to the orchestrator. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  /** Responses with a status the scenario does not expect, plus connection errors (timeouts apart). */
  readonly errors: number;
  readonly timeouts: number;
  /** Responses by status code, so that errors can be told apart. */
  readonly statuses: Record<string, number>;
}

/** Collects one run's responses and failures. */
export class Recorder {
  private readonly latencies: number[] = [];
  private readonly statuses: Record<string, number> = {};
  private unexpected = 0;
  private failures = 0;
  private timeouts = 0;

  constructor(private readonly expected: readonly number[]) {}

  response(status: number, latencyMs: number): void {
    this.latencies.push(latencyMs);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (!this.expected.includes(status)) this.unexpected++;
  }

  /** A request that got no response; `timedOut` when the client gave up waiting. */
  failure(timedOut: boolean): void {
    if (timedOut) this.timeouts++;
    else this.failures++;
  }

  result(seconds: number): LoadResult {
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (fraction: number) =>
      round(sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]! : NaN);
    return {
      requests: sorted.length,
      seconds: round(seconds),
      requestsPerSecond: Math.round(sorted.length / seconds),
      latencyMs: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) },
      errors: this.unexpected + this.failures,
      timeouts: this.timeouts,
      statuses: { ...this.statuses },
    };
  }
}

const round = (value: number) => Math.round(value * 100) / 100;
