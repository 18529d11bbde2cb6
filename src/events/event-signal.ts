import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

/**
 * Tells whoever waits for a user's events (live streams, the webhooks' relay), in this process and
 * in the others, that the user has new ones. A hint only: readers read the outbox itself (by
 * number, behind the change barrier), and read it again now and then anyway, so a lost signal
 * delays an event, never loses it.
 */
export interface EventSignal {
  /** After the commit of a change of the user's. */
  announce(userId: string): void;
  /** Calls `listener` with each user announced; `undefined` means every user (a reconnection may have missed some). */
  subscribe(listener: (userId: string | undefined) => void): () => void;
  close(): Promise<void>;
}

/** How other processes hear of announcements: PostgreSQL's LISTEN/NOTIFY or Redis pub/sub. */
export interface SignalTransport {
  /** Sends one message (many users' ids) to every process, this one included. */
  publish(message: string): Promise<void>;
  /** Starts receiving; `onGap` after a reconnection, when messages may have been lost. */
  start(onMessage: (message: string) => void, onGap: () => void): Promise<void>;
  close(): Promise<void>;
}

/** Announcements are gathered for this long and sent as one message: a burst of writes costs one. */
const GATHER_MS = 10;
/** NOTIFY's payload must stay under 8000 bytes: users per message, with room for the sender's id. */
const USERS_PER_MESSAGE = 40;

/** A message: the sender's id, then the users, separated by newlines (ids never hold one). */
function encode(sender: string, users: readonly string[]): string {
  return [sender, ...users].join('\n');
}

export function createEventSignal(transport: SignalTransport | undefined, logger: Logger): EventSignal {
  const listeners = new Set<(userId: string | undefined) => void>();
  const sender = randomUUID();
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const tell = (userId: string | undefined) => {
    for (const listener of listeners) listener(userId);
  };

  const flush = () => {
    timer = undefined;
    const users = [...pending];
    pending.clear();
    for (let at = 0; at < users.length; at += USERS_PER_MESSAGE) {
      transport?.publish(encode(sender, users.slice(at, at + USERS_PER_MESSAGE))).catch((error: unknown) => {
        logger.warn(
          { err: error },
          'could not tell the other processes of new events (their streams catch up at their next heartbeat)',
        );
      });
    }
  };

  const started = transport?.start(
    (message) => {
      const [from, ...users] = message.split('\n');
      if (from === sender) return; // told locally already
      for (const user of users) tell(user);
    },
    () => tell(undefined),
  );
  started?.catch((error: unknown) => logger.warn({ err: error }, "could not listen for other processes' events"));

  return {
    announce(userId) {
      tell(userId);
      if (!transport) return;
      pending.add(userId);
      timer ??= setTimeout(flush, GATHER_MS);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (timer) {
        clearTimeout(timer);
        flush();
      }
      await started?.catch(() => undefined);
      await transport?.close();
    },
  };
}
