import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

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
