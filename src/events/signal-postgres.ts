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

/**
 * PostgreSQL's LISTEN/NOTIFY. NOTIFY goes through the server's pool (it works through a
 * transaction-mode pooler); LISTEN holds one connection of its own to `listenUrl`, which must
 * reach PostgreSQL directly (a transaction-mode pooler does not keep a session's LISTEN). A lost
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
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let ping: NodeJS.Timeout | undefined;

  const connect = async (onMessage: (message: string) => void, onGap: () => void, delayMs: number): Promise<void> => {
    const next = new pg.Client({ connectionString: listenUrl, keepAlive: true, query_timeout: pingTimeoutMs });
    const reconnect = () => {
      if (closed || client !== next) return;
      client = undefined;
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
      // One statement, one connection of the pool, however many messages.
      await db.raw('select pg_notify(?, message) from unnest(?::text[]) as message', [CHANNEL, [...messages]]);
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
