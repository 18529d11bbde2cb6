import { expect } from 'chai';
import { SignJWT } from 'jose';
import { signDevToken } from '../../src/auth/dev-token.js';
import { expectProblem, type ApiResponse } from './api-client.js';

/** The HS256 secret test servers trust. */
export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789';

/** The `iss` and `aud` a production server in the tests pins (PRODUCTION_ENV); tokenFor(user, PRODUCTION_TOKEN) names them. */
export const PRODUCTION_TOKEN = { issuer: 'https://auth.test.example', audience: 'https://api.test.example' } as const;

export function tokenFor(
  subject: string,
  options: { issuer?: string; audience?: string; expiresInSeconds?: number } = {},
) {
  return signDevToken({ secret: TEST_SECRET, subject, ...options });
}

/** A token with exactly these claims and header, signed with `secret` (HS256 unless `alg` says otherwise). */
export function signRaw(
  claims: Record<string, unknown>,
  options: { alg?: string; secret?: string | Uint8Array; header?: Record<string, unknown> } = {},
) {
  const secret = options.secret ?? TEST_SECRET;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT', ...options.header })
    .sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);
}

/** An unsigned token (`alg: none`), which must never be accepted. */
export function unsignedToken(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT', ...header })}.${encode(claims)}.`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Messages, error names and codes of the JWT libraries (jose, jsonwebtoken) that must never reach a client. */
const LIBRARY_MESSAGES = [
  'jwt expired',
  'jwt malformed',
  'jwt must be provided',
  'jwt signature is required',
  'jwt not active',
  'jwt audience invalid',
  'jwt issuer invalid',
  'jwt subject invalid',
  'invalid signature',
  'invalid algorithm',
  'invalid exp value',
  'invalid nbf value',
  'invalid token',
  'No auth token',
  'TokenExpiredError',
  'JsonWebTokenError',
  'NotBeforeError',
  'Unexpected token',
  'claim timestamp check failed',
  'unexpected "iss" claim value',
  'unexpected "aud" claim value',
  'missing required',
  'signature verification failed',
  'Header Parameter',
  'Compact JWS',
  'JSON Web Key Set',
  'no applicable key found',
  'multiple matching keys',
  'fetch failed',
  'ERR_JWT',
  'ERR_JWS',
  'ERR_JWK',
  'ERR_JOSE',
  'JOSEError',
  'JWTExpired',
  'JWTClaimValidationFailed',
  'JWSSignatureVerificationFailed',
  'JWKSNoMatchingKey',
];

/** Everything a client can read of a response, for looking for leaks. */
export function visibleText(response: ApiResponse): string {
  return `${response.headers.get('www-authenticate') ?? ''}\n${JSON.stringify(response.body)}`;
}

/** Fails when `text` contains a JWT library's message. */
export function expectNoLibraryMessage(text: string, where: string): void {
  for (const message of LIBRARY_MESSAGES) {
    expect(text.toLowerCase(), `${where} leaks "${message}"`).not.to.include(message.toLowerCase());
  }
}

/** A 401 for a token that was sent and refused (RFC 6750 `invalid_token`), in our own words only. */
export function expectInvalidToken(response: ApiResponse, token: string): void {
  expect(expectProblem(response, 401)).to.include({ type: 'about:blank', title: 'Unauthorized' });
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(challenge).to.match(/^Bearer error="invalid_token", error_description="[^"\\]+"$/);
  const text = visibleText(response);
  expectNoLibraryMessage(text, 'the response');
  expect(text, 'echoes the token').not.to.include(token);
}
