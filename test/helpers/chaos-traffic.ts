import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { within } from './wait.js';

// The HTTP side of the chaos test: every request it sends, with its status, latency and
// Retry-After, bounded by a client-side timeout far above the server's own bounds, so a hang is
// an outcome that is recorded ("no answer") rather than a test that never ends. Nothing here
// throws on a bad answer: statuses are judged by the caller's rules and tallied for the summary.

/** A request the server has not answered within this time counts as hung: its own bounds are all below 2 s. */
export const CLIENT_TIMEOUT_MS = 15_000;
/** The most a client waits before retrying, whatever Retry-After says (the server says 5 s; the outages here last about as long). */
export const RETRY_WAIT_CAP_MS = 500;
/** The wait before retrying when the answer (or its absence) gives no Retry-After. */
const DEFAULT_RETRY_WAIT_MS = 100;

export interface Exchange {
  /** Sent as X-Request-Id, so that the server's log line for it can be found. */
  readonly requestId: string;
  readonly label: string;
  readonly method: string;
  readonly path: string;
  /** Undefined when no answer came (connection error, or CLIENT_TIMEOUT_MS ran out). */
  readonly status?: number;
  readonly error?: string;
  readonly ms: number;
  readonly retryAfter: string | null;
  readonly etag: string | null;
  readonly location: string | null;
  readonly contentType: string | null;
  readonly body: unknown;
  /** Set by the caller's rules when the answer breaks them. */
  violation?: string;
}

export interface SendOptions {
  readonly json?: unknown;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

/** Every exchange of a run, and waits on their count. */
export class Traffic {
  readonly exchanges: Exchange[] = [];
  /** Exchanges that got an answer, and those whose answer was a 2xx. */
  answered = 0;
  succeeded = 0;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(private readonly baseUrl: string) {}

  /** `token`: sent as a bearer token, unless undefined (a public operation). */
  async send(
    token: string | undefined,
    label: string,
    method: string,
    path: string,
    options: SendOptions = {},
  ): Promise<Exchange> {
    const requestId = `chaos-${randomUUID()}`;
    const headers: Record<string, string> = { 'x-request-id': requestId, ...options.headers };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (options.json !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const start = performance.now();
    let exchange: Exchange;
    try {
      // The signal bounds the body as well as the headers.
      const response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      const text = await response.text();
      exchange = {
        requestId,
        label,
        method,
        path,
        status: response.status,
        ms: Math.round(performance.now() - start),
        retryAfter: response.headers.get('retry-after'),
        etag: response.headers.get('etag'),
        location: response.headers.get('location'),
        contentType: response.headers.get('content-type'),
        body: parseJson(text),
      };
    } catch (error) {
      exchange = {
        requestId,
        label,
        method,
        path,
        error: describeFailure(error),
        ms: Math.round(performance.now() - start),
        retryAfter: null,
        etag: null,
        location: null,
        contentType: null,
        body: undefined,
      };
    }
    this.exchanges.push(exchange);
    if (exchange.status !== undefined) this.answered += 1;
    if (isSuccess(exchange.status)) this.succeeded += 1;
    this.waiters = this.waiters.filter((waiter) => (waiter.check() ? (waiter.resolve(), false) : true));
    return exchange;
  }

  /** Resolves once `holds()`, checked after every exchange; fails after `ms` naming `what`. */
  until(holds: () => boolean, what: string, ms: number): Promise<void> {
    if (holds()) return Promise.resolve();
    const reached = new Promise<void>((resolve) => this.waiters.push({ check: holds, resolve }));
    return within(reached, ms, what, () => ` (${this.answered} answers, ${this.succeeded} of them 2xx, so far)`);
  }
}

export function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status <= 299;
}

/** Retry-After as delta-seconds (RFC 9110 §10.2.3; the only form this server sends), or undefined when absent or malformed. */
export function retryAfterSeconds(exchange: Exchange): number | undefined {
  if (exchange.retryAfter === null || !/^\d+$/.test(exchange.retryAfter)) return undefined;
  return Number(exchange.retryAfter);
}

/** A well-formed "database unavailable" answer: 503, Retry-After in seconds above zero, a problem document. */
export function isUnavailable(exchange: Exchange): boolean {
  return (
    exchange.status === 503 &&
    (retryAfterSeconds(exchange) ?? 0) > 0 &&
    /^application\/problem\+json(;|$)/.test(exchange.contentType ?? '')
  );
}

/** Waits as a polite client would before retrying after this exchange: Retry-After, capped. */
export function waitBeforeRetry(exchange: Exchange): Promise<void> {
  const seconds = retryAfterSeconds(exchange);
  return sleep(seconds === undefined ? DEFAULT_RETRY_WAIT_MS : Math.min(seconds * 1000, RETRY_WAIT_CAP_MS));
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${CLIENT_TIMEOUT_MS} ms`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}
