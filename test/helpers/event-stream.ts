import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import type { ApiResponse, TestUser } from './api-client.js';
import { parseBody } from './spec-conformance.js';
import { observeResponse } from './spec-coverage.js';
import { IN_TEST_BOUND_MS, within } from './wait.js';

export type Event = components['schemas']['Event'];

/** One Server-Sent Events message as received: its fields, the data as sent (text). */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export interface StreamOptions {
  readonly token?: string;
  readonly lastEventId?: string;
  readonly headers?: Record<string, string>;
  /** HEAD instead of GET. */
  readonly method?: 'GET' | 'HEAD';
  /** A query string (`?a=1`), for a request drawn from the spec. */
  readonly query?: string;
}

/**
 * A stream (or its refusal) as a test holds it. The body is parsed strictly, as this server
 * writes it (`id:`, `event:`, one `data:` line, a blank line; comment lines): anything else fails.
 * Every stream is checked against the contract and counted for coverage when it is closed, with
 * the messages it received; a refusal at once, like any answer.
 */
export interface OpenStream {
  readonly status: number;
  readonly headers: Headers;
  /** A refusal's problem document; undefined for a stream. */
  readonly body: unknown;
  /** Every message received so far (its position and heartbeats aside). */
  readonly messages: SseMessage[];
  /** The position it began with (an `id` alone), undefined when it began with a reset. */
  position(): string | undefined;
  /** How many comment lines (heartbeats) came. */
  readonly comments: () => number;
  /** The events received so far (every message but a reset), parsed. */
  events(): Event[];
  /** Waits, bounded, until `condition` holds of what was received; fails naming `what`. */
  until(condition: (stream: OpenStream) => boolean, what: string, ms?: number): Promise<void>;
  /** Waits until at least `count` events have come; returns the events so far. */
  eventsUntil(count: number, ms?: number): Promise<Event[]>;
  /** Settles when the server has ended the stream (or the connection dropped). */
  readonly ended: Promise<void>;
  /** Whether the server has ended it. */
  isEnded(): boolean;
  /** Closes it from the client's side (once the server has ended it, only the contract check). */
  close(): Promise<void>;
}

/** Opens the user's event stream on the server at `baseUrl`. */
export async function openEventStream(
  baseUrl: string,
  userId: string,
  { token, lastEventId, headers = {}, method = 'GET', query = '' }: StreamOptions = {},
): Promise<OpenStream> {
  const path = `/api/${encodeURIComponent(userId)}/events`;
  const controller = new AbortController();
  const response = await fetch(new URL(`${path}${query}`, baseUrl), {
    method,
    signal: controller.signal,
    headers: {
      ...headers,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
    },
  });
  const observe = (body: unknown) =>
    observeResponse({ method, path, status: response.status, headers: response.headers, body });

  if (response.status !== 200 || method === 'HEAD') {
    const body = parseBody(await response.text(), response.headers);
    observe(body);
    return refusal(response, body);
  }

  const messages: SseMessage[] = [];
  let position: string | undefined;
  let comments = 0;
  let ended = false;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const alone = /^id: (\d+)$/.exec(block);
          if (block.startsWith(':')) {
            expect(block, 'a comment line').to.match(/^: [a-z]+$/);
            comments += 1;
          } else if (alone) {
            expect(position, 'one position, first').to.equal(undefined);
            expect(messages, 'the position first').to.deep.equal([]);
            position = alone[1];
          } else messages.push(parseMessage(block));
          notify();
        }
      }
      expect(buffer, 'the stream ended in the middle of a message').to.equal('');
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      ended = true;
      notify();
    }
  })();

  const stream: OpenStream = {
    status: response.status,
    headers: response.headers,
    body: undefined,
    messages,
    position: () => position,
    comments: () => comments,
    events: () =>
      messages.filter((message) => message.event !== 'reset').map((message) => JSON.parse(message.data) as Event),
    async until(condition, what, ms = IN_TEST_BOUND_MS) {
      let waiter: (() => void) | undefined;
      const holds = new Promise<void>((resolve, reject) => {
        waiter = () => {
          if (condition(stream)) resolve();
          else if (ended) reject(new Error(`the stream ended before ${what}`));
        };
        waiters.add(waiter);
        waiter();
      });
      try {
        await within(holds, ms, what, () => `; received ${JSON.stringify(messages.map((m) => [m.id, m.event]))}`);
      } finally {
        waiters.delete(waiter!);
      }
    },
    async eventsUntil(count, ms) {
      await stream.until((s) => s.events().length >= count, `${count} events`, ms);
      return stream.events();
    },
    ended: reading.then(
      () => undefined,
      () => undefined,
    ),
    isEnded: () => ended,
    async close() {
      controller.abort();
      await reading;
      observe(messages);
    },
  };
  return stream;
}

/** Parses one message as this server writes it: `id:` (but for a heartbeat), `event:`, one `data:` line. */
function parseMessage(block: string): SseMessage {
  const match = /^id: (\d+)\nevent: ([a-z.]+)\ndata: (.*)$/.exec(block);
  expect(match, `a message of the form id/event/data: ${JSON.stringify(block)}`).to.not.equal(null);
  return { id: match![1], event: match![2]!, data: match![3]! };
}

function refusal(response: Response, body: unknown): OpenStream {
  const never = () => Promise.reject(new Error(`no stream: answered ${response.status}`));
  return {
    status: response.status,
    headers: response.headers,
    body,
    messages: [],
    position: () => undefined,
    comments: () => 0,
    events: () => [],
    until: never,
    eventsUntil: never,
    ended: Promise.resolve(),
    isEnded: () => true,
    close: () => Promise.resolve(),
  };
}

/** How many event streams the server at `baseUrl` has started (its metrics count each when it starts streaming). */
export async function streamsStarted(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const match = /^http_requests_total\{operation="streamEvents",method="GET",status="200"\} (\d+)$/m.exec(text);
  return Number(match?.[1] ?? 0);
}

/**
 * The answer to a request for the user's stream, as `request` gives one, for the sweeps that send
 * every operation: the stream (checked, and closed at once) or its refusal.
 */
export async function streamAnswer(user: TestUser, options: StreamOptions = {}): Promise<ApiResponse> {
  const stream = await openEventStream(user.baseUrl, user.id, { token: await user.bearer(), ...options });
  await stream.close();
  return { status: stream.status, headers: stream.headers, body: stream.body };
}
