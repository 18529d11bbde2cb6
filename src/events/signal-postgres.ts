import pg from 'pg';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { SignalTransport } from './event-signal.js';

/** The channel every process listens on. */
const CHANNEL = 'todo_events';
/** The wait before listening again after the connection was lost: doubled up to the maximum, and back to the first once listening. */
const RECONNECT_MS = { first: 200, max: 10_000 };
/**
 * How often the listening connection is checked, and how long the check may take: a connection
 * that went silent (a network partition, a NAT or proxy that dropped it) reports nothing by itself,
 * and TCP keepalive would take minutes to notice.
 */
const PING_MS = 30_000;
const PING_TIMEOUT_MS = 10_000;

export interface PostgresTransportTimings {
  readonly reconnectMs?: { readonly first: number; readonly max: number };
  readonly pingMs?: number;
  readonly pingTimeoutMs?: number;
}

/** NOTIFY of every message at once, one statement however many: on the listening client, and through Knex. */
const NOTIFY = 'select pg_notify($1, message) from unnest($2::text[]) as message';
const NOTIFY_KNEX = 'select pg_notify(?, message) from unnest(?::text[]) as message';

/**
 * PostgreSQL's LISTEN/NOTIFY. LISTEN holds one connection of its own to `listenUrl`, which must
 * reach PostgreSQL directly (a transaction-mode pooler does not keep a session's LISTEN). NOTIFY
 * goes through that connection while it listens, so that announcements never wait behind requests
 * for a connection of the pool (a saturated pool would delay every live stream by its queue), and
 * through the pool while it does not (it works through a transaction-mode pooler). A lost
 * listening connection is opened again, with backoff, and each time it listens again `onGap`
 * says that announcements may have been missed meanwhile.
 */
export function postgresTransport(
  db: Knex,
  listenUrl: string,
  logger: Logger,
  { reconnectMs = RECONNECT_MS, pingMs = PING_MS, pingTimeoutMs = PING_TIMEOUT_MS }: PostgresTransportTimings = {},
): SignalTransport {
  let client: pg.Client | undefined;
  /** The client once it listens, until it is lost. */
  let listening: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let ping: NodeJS.Timeout | undefined;

  const connect = async (onMessage: (message: string) => void, onGap: () => void, delayMs: number): Promise<void> => {
    const next = new pg.Client({ connectionString: listenUrl, keepAlive: true, query_timeout: pingTimeoutMs });
    const reconnect = () => {
      if (closed || client !== next) return;
      client = undefined;
      listening = undefined;
      clearInterval(ping);
      next.end().catch(() => undefined);
      retry = setTimeout(() => {
        connect(onMessage, onGap, Math.min(delayMs * 2, reconnectMs.max)).then(onGap, () => undefined);
      }, delayMs);
      retry.unref();
    };
    next.on('notification', (notification) => {
      if (notification.channel === CHANNEL && notification.payload) onMessage(notification.payload);
    });
    next.on('error', (error) => {
      logger.warn({ err: error }, 'the events listener lost its connection: reconnecting');
      reconnect();
    });
    next.on('end', reconnect);
    client = next;
    try {
      await next.connect();
      await next.query(`listen ${CHANNEL}`);
    } catch (error) {
      reconnect();
      throw error;
    }
    // Listening again: the next loss waits the first delay again.
    delayMs = reconnectMs.first;
    listening = next;
    let pinging = false;
    ping = setInterval(() => {
      if (pinging) return;
      pinging = true;
      next.query('select 1').then(
        () => (pinging = false),
        (error: unknown) => {
          logger.warn({ err: error }, 'the events listener does not answer: reconnecting');
          reconnect();
        },
      );
    }, pingMs);
    ping.unref();
  };

  return {
    async publish(messages) {
      const values = [CHANNEL, [...messages]];
      if (listening) {
        try {
          await listening.query(NOTIFY, values);
          return;
        } catch (error) {
          // Lost meanwhile (it reconnects by itself): the pool sends these.
          logger.debug({ err: error }, 'the events listener could not notify: notifying through the pool');
        }
      }
      await db.raw(NOTIFY_KNEX, values);
    },
    start: (onMessage, onGap) => connect(onMessage, onGap, reconnectMs.first),
    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(ping);
      await client?.end().catch(() => undefined);
    },
  };
}
