import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { toNodeHandler } from 'better-auth/node';
import { jwt } from 'better-auth/plugins';

const HTML = '<!doctype html><title>Todo SDK in a browser</title><script type="module" src="/page.js"></script>';

/**
 * A frontend's server, as a Next.js app with Better Auth is: the page and its bundled script, and
 * Better Auth (email and password, the `jwt()` plugin, an in-memory database) under /api/auth, all
 * on one origin of its own.
 */
export class AppServer {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(script: string): Promise<AppServer> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const auth = betterAuth({
      baseURL: origin,
      secret: 'a-better-auth-secret-for-the-browser-test-only',
      database: memoryAdapter({ user: [], session: [], account: [], verification: [], jwks: [] }),
      emailAndPassword: { enabled: true },
      plugins: [jwt()],
      telemetry: { enabled: false },
    });
    const authHandler = toNodeHandler(auth);
    server.on('request', (request, response) => {
      if (request.url?.startsWith('/api/auth/')) return void authHandler(request, response);
      const [status, type, body] =
        request.url === '/page.js'
          ? [200, 'text/javascript', script]
          : request.url === '/'
            ? [200, 'text/html', HTML]
            : [404, 'text/plain', 'not found'];
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    });
    return new AppServer(server, origin);
  }

  /** Better Auth's keys, which the API is told to trust (JWT_JWKS_URL). */
  get jwksUrl(): string {
    return `${this.origin}/api/auth/jwks`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
