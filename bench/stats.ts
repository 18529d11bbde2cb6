/** What one scenario measured, as the load worker reports it to the orchestrator. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** 2xx answers per second: the work done, apart from refusals. */
  readonly successesPerSecond: number;
  /** Open loop only: the requests per second its schedule sends. */
  readonly offeredPerSecond?: number;
  readonly latencyMs: Percentiles;
  /** Responses with a status the scenario does not expect, a 503 without `Retry-After`, plus connection errors (timeouts apart). */
  readonly errors: number;
  readonly timeouts: number;
  /** Responses by status code, so that errors can be told apart. */
  readonly statuses: Record<string, number>;
  /** The 503s (an overloaded server shedding): how many, and how long each took to come. */
  readonly unavailable: { readonly count: number; readonly latencyMs: Percentiles };
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

const UNAVAILABLE = 503;

/** Collects one run's responses and failures. */
export class Recorder {
  private readonly latencies: number[] = [];
  private readonly unavailableLatencies: number[] = [];
  private readonly statuses: Record<string, number> = {};
  private successes = 0;
  private unexpected = 0;
  private failures = 0;
  private timeouts = 0;

  constructor(private readonly expected: readonly number[]) {}

  /** One answer, with its `Retry-After` header: a 503 without one (delay-seconds) is an error even where 503 is expected. */
  response(status: number, latencyMs: number, retryAfter?: string): void {
    this.latencies.push(latencyMs);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) this.successes++;
    if (status === UNAVAILABLE) this.unavailableLatencies.push(latencyMs);
    const refusalWithoutRetryAfter = status === UNAVAILABLE && !/^\d+$/.test(retryAfter ?? '');
    if (!this.expected.includes(status) || refusalWithoutRetryAfter) this.unexpected++;
  }

  /** A request that got no response; `timedOut` when the client gave up waiting. */
  failure(timedOut: boolean): void {
    if (timedOut) this.timeouts++;
    else this.failures++;
  }

  result(seconds: number): LoadResult {
    return {
      requests: this.latencies.length,
      seconds: round(seconds),
      requestsPerSecond: Math.round(this.latencies.length / seconds),
      successesPerSecond: Math.round(this.successes / seconds),
      latencyMs: percentiles(this.latencies),
      errors: this.unexpected + this.failures,
      timeouts: this.timeouts,
      statuses: { ...this.statuses },
      unavailable: { count: this.unavailableLatencies.length, latencyMs: percentiles(this.unavailableLatencies) },
    };
  }
}

function percentiles(latencies: readonly number[]): Percentiles {
  const sorted = Float64Array.from(latencies).sort();
  const at = (fraction: number) =>
    round(sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]! : NaN);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

const round = (value: number) => Math.round(value * 100) / 100;
