import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ResponseStream, StreamSink } from '../contract/response-stream.js';
import { toEvent } from './event-representation.js';
import type { EventSignal } from './event-signal.js';
import { eventHorizon, latestEventSeq, readEventsAfter } from './events.store.js';

/** Events read at once: a stream far behind catches up page by page, never holding its whole backlog. */
const PAGE = 100;
/** Heartbeats a client may let pass without taking anything while its buffers are full; then it is cut off. */
const STALLED_BEATS = 4;
/** A comment line: what an idle stream sends so that proxies and its client know it is alive. */
const HEARTBEAT = ': heartbeat\n\n';

export interface EventStreamSettings {
  /** EVENT_STREAM_HEARTBEAT_MS */
  readonly heartbeatMs: number;
}

/** Where a stream starts: after which event, and whether the client must first be told it may have missed some. */
export interface StreamStart {
  readonly after: number;
  readonly reset: boolean;
}

/**
 * Where a stream with this Last-Event-ID starts. Without one, after the user's latest event.
 * After it, unless events after it may be gone: when it is behind the greatest number pruned
 * with the history (the event horizon), or ahead of the user's latest (not an id of this history:
 * another database, a restore). Then the stream goes on after the latest, telling the client
 * first (a `reset`) to read the changes feed again.
 */
export async function streamStart(db: Knex, userId: string, lastEventId: string | undefined): Promise<StreamStart> {
  const latest = await latestEventSeq(db, userId);
  if (lastEventId === undefined) return { after: latest, reset: false };
  // Up to 19 digits: compared as a BigInt, so that one beyond 2^53 reads as ahead, not rounded.
  if (BigInt(lastEventId) > BigInt(latest)) return { after: latest, reset: true };
  const after = Number(lastEventId);
  return after < (await eventHorizon(db, userId)) ? { after: latest, reset: true } : { after, reset: false };
}

/**
 * The stream's position, first thing: an `id` alone, which dispatches no event but is the id a
 * client sends back when it reconnects (SSE's last event ID), so that one that reconnects before
 * its first event still misses none.
 */
function startingAt(id: number): string {
  return `id: ${id}\n\n`;
}

/** One SSE message: the event's id, its type, and the Event as one line of JSON (JSON escapes every line break). */
function message(id: number | string, type: string, data: unknown): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The user's events from `start` on, as Server-Sent Events, until the client goes away or the
 * server ends the stream.
 *
 * It reads the outbox (behind the user's change barrier: in the changes feed's order, nothing
 * skipped) when woken: by the signal that the user (or, after a lost connection, every user) has
 * new events, and at every heartbeat, so that a lost signal only delays an event. Wake-ups while a
 * read runs are coalesced into one more read after it: one read at a time per stream. Each
 * message waits for the client to take the previous ones (the socket's buffers drained), so a
 * slow client holds one page of events at most; one that takes nothing for STALLED_BEATS
 * heartbeats is cut off. A read that fails (the database unavailable) is retried at the next
 * heartbeat, the stream staying open.
 */
export function eventStream(
  { db, signal, settings, log }: { db: Knex; signal: EventSignal; settings: EventStreamSettings; log: Logger },
  userId: string,
  start: StreamStart,
): ResponseStream {
  return {
    contentType: 'text/event-stream',
    async run(sink: StreamSink): Promise<void> {
      if (sink.closed.aborted) return;
      let position = start.after;
      let due = true;
      let wake: (() => void) | undefined;
      const wakeUp = () => {
        due = true;
        wake?.();
      };
      const unsubscribe = signal.subscribe((announced) => {
        if (announced === undefined || announced === userId) wakeUp();
      });
      sink.closed.addEventListener('abort', wakeUp, { once: true });

      let waiting = 0; // writes waiting for the client to take what was sent
      let sentSinceBeat = false;
      let stalledBeats = 0;
      const send = async (text: string): Promise<boolean> => {
        sentSinceBeat = true;
        waiting += 1;
        try {
          return await sink.write(text);
        } finally {
          waiting -= 1;
        }
      };
      const heartbeat = setInterval(() => {
        if (waiting > 0) {
          stalledBeats += 1;
          if (stalledBeats >= STALLED_BEATS) {
            log.info({ stalled_heartbeats: stalledBeats }, 'event stream cut off: its client takes nothing');
            sink.end();
          }
          return;
        }
        stalledBeats = 0;
        if (!sentSinceBeat) void send(HEARTBEAT);
        sentSinceBeat = false;
        wakeUp();
      }, settings.heartbeatMs);

      let failing = false;
      try {
        const first = start.reset ? message(position, 'reset', {}) : startingAt(position);
        if (!(await send(first))) return;
        while (!sink.closed.aborted) {
          if (!due) await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          if (sink.closed.aborted) break;
          due = false;
          try {
            await sendNew();
            if (failing) log.info('event stream reading again');
            failing = false;
          } catch (error) {
            if (!failing)
              log.warn({ err: error }, 'event stream could not read the events: trying again at the next heartbeat');
            failing = true;
          }
        }
      } finally {
        unsubscribe();
        clearInterval(heartbeat);
      }

      /** Sends the events after `position`, page by page, moving it past each one sent (a later page failing re-sends none). */
      async function sendNew(): Promise<void> {
        for (;;) {
          const rows = await readEventsAfter(db, userId, position, PAGE);
          for (const row of rows) {
            if (!(await send(message(row.seq, row.type, toEvent(row))))) return;
            position = row.seq;
          }
          if (rows.length < PAGE) return;
        }
      }
    },
  };
}
