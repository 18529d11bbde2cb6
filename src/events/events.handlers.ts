import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';
import type { EventSignal } from './event-signal.js';
import { eventStream, streamStart, type EventStreamSettings } from './event-stream.js';

/**
 * streamEvents: where the stream starts is settled here, before anything is sent, so that a
 * database that cannot say is the contract's 503; the stream itself runs once the response is
 * taken over (the user's bound on open streams was checked before the handler ran).
 */
export function createEventHandlers(
  db: Knex,
  signal: EventSignal,
  settings: EventStreamSettings,
): Pick<OperationHandlers, 'streamEvents'> {
  return {
    streamEvents: async ({ user, headers, log }) => {
      const start = await streamStart(db, user.id, headers?.['Last-Event-ID']);
      return { status: 200, stream: eventStream({ db, signal, settings, log }, user.id, start) };
    },
  };
}
