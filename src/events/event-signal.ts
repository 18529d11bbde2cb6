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
  /** Calls `listener` with each user this process announces, after its own commits: never another process's. */
  subscribeOwn(listener: (userId: string) => void): () => void;
  close(): Promise<void>;
}

/** How other processes hear of announcements: PostgreSQL's LISTEN/NOTIFY or Redis pub/sub. */
export interface SignalTransport {
  /** Sends these messages (each many users' ids) to every process, this one included, at once. */
  publish(messages: readonly string[]): Promise<void>;
  /** Starts receiving; `onGap` after a reconnection, when messages may have been lost. */
  start(onMessage: (message: string) => void, onGap: () => void): Promise<void>;
  close(): Promise<void>;
}

/**
 * Announcements are gathered for this long and sent as one message: a burst of writes costs one,
 * and a busy process notifies 40 times a second, not once a write. (Its own listeners hear at once.)
 */
const GATHER_MS = 25;
/**
 * The most a message may weigh, in UTF-8 bytes: NOTIFY's payload must stay under 8000. A user id
 * may be 255 characters of up to 4 bytes each (and hold any character, a newline included).
 */
const MESSAGE_BYTES = 7900;

/** A message: the sender's id, then the users, as a JSON array. */
function encode(sender: string, users: readonly string[]): string {
  return JSON.stringify([sender, ...users]);
}

/** The messages that tell `users`, each within MESSAGE_BYTES. */
function messages(sender: string, users: readonly string[]): string[] {
  const all: string[] = [];
  let batch: string[] = [];
  let bytes = Buffer.byteLength(encode(sender, []));
  for (const user of users) {
    // Its JSON string and a comma; a single id never comes near the bound.
    const weight = Buffer.byteLength(JSON.stringify(user)) + 1;
    if (batch.length > 0 && bytes + weight > MESSAGE_BYTES) {
      all.push(encode(sender, batch));
      batch = [];
      bytes = Buffer.byteLength(encode(sender, []));
    }
    batch.push(user);
    bytes += weight;
  }
  if (batch.length > 0) all.push(encode(sender, batch));
  return all;
}

/** The sender and the users of a message; undefined for one that is not ours. */
function decode(message: string): [string, ...string[]] | undefined {
  try {
    const parsed: unknown = JSON.parse(message);
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((item) => typeof item === 'string'))
      return parsed as [string, ...string[]];
  } catch {
    // not ours: ignored
  }
  return undefined;
}

export function createEventSignal(transport: SignalTransport | undefined, logger: Logger): EventSignal {
  const listeners = new Set<(userId: string | undefined) => void>();
  const ownListeners = new Set<(userId: string) => void>();
  const sender = randomUUID();
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const tell = <User extends string | undefined>(among: Set<(userId: User) => void>, userId: User) => {
    for (const listener of among) {
      try {
        listener(userId);
      } catch (error) {
        logger.error({ err: error }, 'a listener of new events failed');
      }
    }
  };

  /**
   * The publication under way: one at a time, so that a busy process (its pool's connections all
   * taken, their queue long) never queues publications of its own; what is announced meanwhile
   * goes in the next one. Closing waits for it (the database may close right after).
   */
  let publishing: Promise<void> | undefined;
  let closing = false;
  const flush = () => {
    timer = undefined;
    if (publishing || pending.size === 0) return;
    const users = [...pending];
    pending.clear();
    publishing = transport!
      .publish(messages(sender, users))
      .catch((error: unknown) => {
        logger.warn(
          { err: error },
          'could not tell the other processes of new events (their streams catch up at their next heartbeat)',
        );
      })
      .finally(() => {
        publishing = undefined;
        if (pending.size > 0 && !closing) timer ??= setTimeout(flush, GATHER_MS);
      });
  };

  const started = transport?.start(
    (message) => {
      const [from, ...users] = decode(message) ?? [sender];
      if (from === sender) return; // told locally already (or not ours)
      for (const user of users) tell(listeners, user);
    },
    () => tell(listeners, undefined),
  );
  started?.catch((error: unknown) => logger.warn({ err: error }, "could not listen for other processes' events"));

  return {
    announce(userId) {
      tell(ownListeners, userId);
      tell(listeners, userId);
      if (!transport) return;
      pending.add(userId);
      timer ??= setTimeout(flush, GATHER_MS);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribeOwn(listener) {
      ownListeners.add(listener);
      return () => ownListeners.delete(listener);
    },
    async close() {
      closing = true;
      clearTimeout(timer);
      timer = undefined;
      await publishing;
      flush();
      await publishing;
      // Closed first: a start still waiting for its connection then gives up.
      await transport?.close();
      await started?.catch(() => undefined);
    },
  };
}
