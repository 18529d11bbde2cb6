import { createHmac, timingSafeEqual } from 'node:crypto';

/** The claims the reference servers read from a bench token (tokens.ts signs them). */
export interface FloorClaims {
  sub: string;
  exp: number;
  email?: string;
  name?: string;
}

/**
 * The reference servers' token check, shared so that both pay the same for it: an HS256 bearer
 * token checked with node:crypto (no JOSE library), its `sub` a string and `exp` in the future.
 */
export function verifyBearer(header: string | undefined, secret: Buffer): FloorClaims | undefined {
  if (!header?.startsWith('Bearer ')) return undefined;
  const [head, body, signature] = header.slice(7).split('.');
  if (!head || !body || !signature) return undefined;
  if ((JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: unknown }).alg !== 'HS256') return undefined;
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as FloorClaims;
  return typeof claims.sub === 'string' && claims.exp > Date.now() / 1000 ? claims : undefined;
}
