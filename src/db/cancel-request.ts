import net from 'node:net';

/** The protocol's CancelRequest code (PostgreSQL frontend/backend protocol, "CancelRequest"). */
const CANCEL_REQUEST_CODE = 80877102;

/**
 * Asks the server to cancel whatever statement the session identified by `processId` and
 * `secretKey` is running: a 16-byte message on a connection of its own, which the server closes
 * once it has acted on it, without answering. PgBouncer issues its clients keys of its own and forwards their cancel
 * requests to the server connection they are using, so this works through a transaction-mode
 * pooler, where no startup parameter or session setting can bound a statement.
 * Best effort and bounded: resolves once the message is sent, or when it could not be.
 * Not pg's own `Client#cancel`: it is undocumented, missing from pg's types, reads the deprecated
 * `activeQuery` (a deprecation warning per cancel in pg 8.23) and has no bound on its connection.
 */
export function sendCancelRequest(
  target: ({ host: string; port: number } | { path: string }) & { processId: number; secretKey: number },
  timeoutMs: number,
): Promise<void> {
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  message.writeInt32BE(target.processId, 8);
  message.writeInt32BE(target.secretKey, 12);
  return new Promise((resolve) => {
    const socket = 'path' in target ? net.connect(target.path) : net.connect(target.port, target.host);
    socket.setTimeout(timeoutMs, () => socket.destroy());
    // Written without ending our side: PgBouncer drops a cancel whose sender closes before it has
    // been forwarded ("client unexpected eof"). The receiver closes the connection when done.
    socket.once('connect', () => socket.write(message));
    socket.once('close', () => resolve());
    socket.once('error', () => undefined); // 'close' follows
  });
}
