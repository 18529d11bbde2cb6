import { SignJWT } from 'jose';
import { signDevToken } from '../../src/auth/dev-token.js';

/** The HS256 secret test servers trust. */
export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789';

export function tokenFor(subject: string, options: { issuer?: string; audience?: string; expiresInSeconds?: number } = {}) {
  return signDevToken({ secret: TEST_SECRET, subject, ...options });
}

/** A token with exactly these claims and header, signed with `secret` (HS256 unless `alg` says otherwise). */
export function signRaw(claims: Record<string, unknown>, options: { alg?: string; secret?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}

/** An unsigned token (`alg: none`), which must never be accepted. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
