import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { nowSeconds } from './tokens.js';

/** The algorithms Better Auth's JWT plugin can sign with; EdDSA (Ed25519) is its default. */
export const JWKS_ALGORITHMS = ['EdDSA', 'ES256', 'ES512', 'RS256', 'PS256'] as const;
export type JwksAlgorithm = (typeof JWKS_ALGORITHMS)[number];

/** The origin of the pretend auth server: Better Auth's `iss` and `aud`. */
export const AUTH_ORIGIN = 'https://auth.example.com';

export interface SigningKey {
  readonly alg: JwksAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** As published in the JWKS: with `kid` and `alg`, as Better Auth publishes it. */
  readonly publicJwk: JWK;
}

export async function generateSigningKey(alg: JwksAlgorithm): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const kid = `${alg}-${randomUUID()}`;
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

/** A user id shaped like Better Auth's: 32 characters. */
export const betterAuthUserId = () => randomBytes(24).toString('base64url');

export interface BetterAuthTokenOptions {
  readonly sub: string;
  readonly iss?: string;
  readonly aud?: string;
  /** Seconds since the epoch; Better Auth's tokens last 15 minutes. */
  readonly exp?: number;
  /** The header's `kid`: the key's own by default, `null` to leave it out. */
  readonly kid?: string | null;
  /** The header's `alg`: the key's own by default. */
  readonly alg?: string;
}

/** A token with the claims Better Auth's JWT plugin puts in its tokens, signed with `key`. */
export function signBetterAuthToken(key: SigningKey, options: BetterAuthTokenOptions): Promise<string> {
  const issuedAt = nowSeconds();
  const kid = options.kid === undefined ? key.kid : options.kid;
  return new SignJWT({
    name: `Name of ${options.sub}`,
    email: `${options.sub.toLowerCase()}@example.com`,
    emailVerified: true,
    image: null,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  })
    .setProtectedHeader({ alg: options.alg ?? key.alg, ...(kid === null ? {} : { kid }) })
    .setSubject(options.sub)
    .setIssuer(options.iss ?? AUTH_ORIGIN)
    .setAudience(options.aud ?? AUTH_ORIGIN)
    .setIssuedAt(issuedAt)
    .setExpirationTime(options.exp ?? issuedAt + 15 * 60)
    .sign(key.privateKey);
}

/**
 * How the endpoint behaves: `serve` answers with the published keys; `fail` answers 500;
 * `malformed` answers 200 with a body that is not JSON; `not-a-key-set` answers JSON without `keys`;
 * `slow` answers like `serve` after `delayMs`.
 */
export type JwksBehaviour =
  | { kind: 'serve' }
  | { kind: 'fail' }
  | { kind: 'malformed' }
  | { kind: 'not-a-key-set' }
  | { kind: 'slow'; delayMs: number };

/**
 * A JWKS endpoint on a free loopback port, like Better Auth's `/api/auth/jwks`, that counts the
 * requests it receives and can be made to misbehave or to stop listening (connections refused).
 */
export class JwksServer {
  /** Requests received, whatever was answered. */
  fetches = 0;
  behaviour: JwksBehaviour = { kind: 'serve' };
  private readonly published: SigningKey[] = [];

  private constructor(
    private readonly server: Server,
    private readonly port: number,
  ) {}

  static async start(keys: readonly SigningKey[] = []): Promise<JwksServer> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const jwks = new JwksServer(server, (server.address() as AddressInfo).port);
    server.on('request', (_req, res) => void jwks.answer(res));
    jwks.publish(...keys);
    return jwks;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/api/auth/jwks`;
  }

  publish(...keys: SigningKey[]): void {
    this.published.push(...keys);
  }

  /** Takes a key out of the set, as after a rotation. */
  withdraw(key: SigningKey): void {
    const index = this.published.indexOf(key);
    if (index < 0) throw new Error(`key ${key.kid} is not published`);
    this.published.splice(index, 1);
  }

  /** Stops listening: fetches are refused until `resume`. */
  async refuseConnections(): Promise<void> {
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }

  /** Listens again, on the same port. */
  async resume(): Promise<void> {
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.refuseConnections();
  }

  private async answer(res: ServerResponse): Promise<void> {
    this.fetches += 1;
    const { behaviour } = this;
    // Unreferenced: a response still waiting when the tests end does not keep the process alive.
    if (behaviour.kind === 'slow') await sleep(behaviour.delayMs, undefined, { ref: false });
    if (res.destroyed) return; // the client gave up waiting
    if (behaviour.kind === 'fail') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
    } else if (behaviour.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [');
    } else if (behaviour.kind === 'not-a-key-set') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"error": "not keys"}');
    } else {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: this.published.map((key) => key.publicJwk) }));
    }
  }
}
