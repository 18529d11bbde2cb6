import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import { PUBLIC_OPERATIONS } from '../contract/operations.js';
import { serviceUnavailable } from '../contract/domain-error.js';
import type { PoolWaits } from '../db/pool-waits.js';
import { resolvedOperation } from './operation-index.js';
import { logAsRefusal } from './request-log.js';
import { whenWorkIsOver } from '../lifecycle/long-lived.js';

export interface LoadSheddingOptions {
  /** LOAD_SHED_WAIT_MS: the longest wait for a database connection the server lets build up; 0 turns shedding off. */
  readonly waitMs: number;
  /** How long the oldest query or transaction waiting for a database connection has waited. */
  readonly poolWaits: Pick<PoolWaits, 'longestMs'>;
  /** Called for every refused request (the metric). */
  readonly onShed: () => void;
}

/** The share of the /api connections that must be idle for a long queue to be shed (see shedOverload). */
const MIN_IDLE_SHARE = 0.25;

/** The probes, documents and metrics are never refused: they tell an operator what is going on. */
const PUBLIC: ReadonlySet<string> = new Set(PUBLIC_OPERATIONS);

const overloaded = () => serviceUnavailable('The server is overloaded; try again shortly.');

/**
 * Overload shedding: an /api request that arrives while this process is overloaded is answered at
 * once with the contract's 503 (problem+json, Retry-After), before its body is read or its token
 * checked, rather than queued to be answered seconds late. The probes, documents and metrics are
 * never refused.
 *
 * The signal, chosen by experiment (make bench: the open loops at 80 % and 120 % of the mixed
 * capacity, and 1000 connections in a closed loop, with a trace of each worker every 100 ms):
 * - the queue is the database pool. Under overload nearly every request in flight waits for a
 *   connection there (pending acquires within a few per cent of the requests in flight), so the
 *   wait of the oldest pending acquire (PoolWaits) is how late the server is. The event loop's
 *   delay, by contrast, stayed within tens of milliseconds at 80 % as at 120 % and with 1000
 *   connections: the requests wait for the pool, not for the CPU.
 * - a long wait alone cannot tell overload from many clients: 1000 connections in a closed loop
 *   (each sends its next request when answered) keep a standing queue of 1000 requests, answered
 *   in 1000 / (the server's rate) seconds, and a 120 % open loop (each user sends on its own
 *   schedule) can build no longer one, since its users have one connection each. What tells them
 *   apart is the connections: in the closed loop every one of them is busy (0-2 % idle in the
 *   trace), and refusing one of its requests relieves nothing (it is back at once) but turns a wait
 *   into an error; in the open loops most are idle between their requests (85-99 %), and the queue
 *   grows for as long as they send faster than it drains.
 * So a request is refused when at least a quarter of the connections that carry /api requests are
 * idle and the oldest acquire has waited longer than LOAD_SHED_WAIT_MS: a share of them that grows
 * from none at that wait to all at twice it. Admissions then settle near what the pool drains, with
 * a wait near the budget; refusing all at once would swing between all and none, the wait at the
 * queue's head lagging behind the refusals until the requests queued before them are served.
 * Behind a proxy that opens a connection per request in flight, every connection is busy and this
 * never refuses: the pool's acquire timeout (DB_ACQUIRE_TIMEOUT_MS, then 503) still bounds the wait.
 *
 * Per request it costs a set lookup and the listeners that tell when its work is over (and a clock
 * read while a query waits for a connection); per connection a 'close' listener; no timer.
 */
export function shedOverload({ waitMs, poolWaits, onShed }: LoadSheddingOptions): RequestHandler {
  const connections = new WeakSet<Socket>();
  let openConnections = 0;
  let inFlight = 0;
  // None at the budget, every one at twice it: admissions settle where the pool drains them,
  // rather than swinging between all and none (the wait at the queue's head lags behind the
  // refusals: it stays long until the requests queued before they began are served).
  const refused = (longestWaitMs: number) =>
    longestWaitMs > waitMs && Math.random() < (longestWaitMs - waitMs) / waitMs;
  const connectionClosed = () => openConnections--;
  const answered = () => inFlight--;
  const shedOverload: RequestHandler = (req, res, next) => {
    const operation = resolvedOperation(req)?.entry.operationId;
    if (waitMs === 0 || operation === undefined || PUBLIC.has(operation)) return next();
    const socket = req.socket;
    if (!connections.has(socket)) {
      connections.add(socket);
      openConnections++;
      socket.once('close', connectionClosed);
    }
    // This request's own connection is busy too.
    const idle = openConnections - inFlight - 1;
    if (idle >= MIN_IDLE_SHARE * openConnections && refused(poolWaits.longestMs())) {
      onShed();
      logAsRefusal(res);
      return next(overloaded());
    }
    inFlight++;
    // An event stream is no longer busy once it streams: its connection idles between messages.
    whenWorkIsOver(res, answered);
    next();
  };
  return shedOverload;
}
