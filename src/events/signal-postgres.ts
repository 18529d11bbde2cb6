import pg from 'pg';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { SignalTransport } from './event-signal.js';

/** The channel every process listens on. */
const CHANNEL = 'todo_events';
/** The wait before listening again after the connection was lost, doubled up to the maximum. */
const RECONNECT_MS = { first: 200, max: 10_000 };

/**
 * PostgreSQL's LISTEN/NOTIFY. NOTIFY goes through the server's pool (it works through a
 * transaction-mode pooler); LISTEN holds one connection of its own to `listenUrl`, which must
 * reach PostgreSQL directly (a transaction-mode pooler does not keep a session's LISTEN).
 */
export function postgresTransport(db: Knex, listenUrl: string, logger: Logger): SignalTransport {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (onMessage: (message: string) => void, onGap: () => void, delayMs: number): Promise<void> => {
    const next = new pg.Client({ connectionString: listenUrl, keepAlive: true });
    const reconnect = () => {
      if (closed || client !== next) return;
      client = undefined;
      next.end().catch(() => undefined);
      retry = setTimeout(() => {
        connect(onMessage, onGap, Math.min(delayMs * 2, RECONNECT_MS.max)).then(onGap, () => undefined);
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
  };

  return {
    async publish(message) {
      await db.raw('select pg_notify(?, ?)', [CHANNEL, message]);
    },
    start: (onMessage, onGap) => connect(onMessage, onGap, RECONNECT_MS.first),
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
