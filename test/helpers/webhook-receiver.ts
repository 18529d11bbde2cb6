import { EventEmitter, once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { EVENT_BOUND_MS, within } from './wait.js';

/** One request a receiver got, as it arrived. */
export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** When its body had arrived (ms since the epoch). */
  readonly at: number;
}

/** How the receiver answers a request: a status (and body), or not at all (`hang`, until it closes). */
export type Answer =
  { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> } | 'hang';

/**
 * A webhook receiver on a loopback port, as a customer would run one: it records every request and
 * answers as `answer` says (204 by default). Tests wait for what it received, never for a time.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Connections accepted, requests or not. */
  connections = 0;
  answer: (request: Received, index: number) => Answer = () => ({ status: 204 });
  private readonly changes = new EventEmitter();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on `port` (any free one by default). */
  static async start(port = 0): Promise<WebhookReceiver> {
    const server = createServer();
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    const receiver = new WebhookReceiver(server, (server.address() as AddressInfo).port);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => receiver.take(request.url ?? '', request.headers, Buffer.concat(chunks), response));
    });
    server.on('connection', (socket: Socket) => {
      receiver.connections += 1;
      receiver.sockets.add(socket);
      socket.once('close', () => receiver.sockets.delete(socket));
      receiver.changes.emit('change');
    });
    return receiver;
  }

  url(path = '/hook', host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  private take(path: string, headers: IncomingHttpHeaders, body: Buffer, response: ServerResponse): void {
    const request = { path, headers, body: body.toString('utf8'), at: Date.now() };
    this.received.push(request);
    const answer = this.answer(request, this.received.length - 1);
    if (answer !== 'hang') response.writeHead(answer.status, answer.headers).end(answer.body);
    this.changes.emit('change');
  }

  /** Resolves once `holds(received)`; fails after the bound with what was received. */
  async waitFor(holds: (received: readonly Received[]) => boolean, what: string, ms = EVENT_BOUND_MS): Promise<void> {
    const reached = new Promise<void>((resolve) => {
      const check = () => {
        if (!holds(this.received)) return;
        this.changes.off('change', check);
        resolve();
      };
      this.changes.on('change', check);
      check();
    });
    await within(
      reached,
      ms,
      what,
      () => `; received ${JSON.stringify(this.received.map((r) => [r.path, r.headers['webhook-id']]))}`,
    );
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }
}

/** The event a delivery carried, once its signature is verified with the webhook's secret (throws otherwise). */
export function verified(secret: string, request: Received): Record<string, unknown> {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  }) as Record<string, unknown>;
}
