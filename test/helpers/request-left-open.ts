import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { IN_TEST_BOUND_MS, pollUntil } from './wait.js';

/**
 * A POST whose headers are sent and whose body never comes: the server has admitted it (its
 * per-user checks run before the body is read) and holds it open until the socket closes.
 */
export async function requestLeftOpen(baseUrl: string, token: string, path: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"',
  );
  return socket;
}

/**
 * A request left open (`open`) once `refused()` (a probe request) is refused because of it. The
 * probes race the open request for the slot: an open request answered meanwhile lost it to a
 * probe (which then ended), and is opened again. The caller destroys the returned socket.
 */
export async function requestHoldingSlot(
  open: () => Promise<Socket>,
  refused: () => Promise<boolean>,
  what: string,
): Promise<Socket> {
  const leaveOpen = async () => {
    const socket = await open();
    socket.once('data', () => socket.destroy());
    return socket;
  };
  let socket = await leaveOpen();
  try {
    await pollUntil(
      async () => {
        if (socket.destroyed) socket = await leaveOpen();
        return (await refused()) && !socket.destroyed;
      },
      what,
      { ms: IN_TEST_BOUND_MS },
    );
    return socket;
  } catch (error) {
    socket.destroy();
    throw error;
  }
}
