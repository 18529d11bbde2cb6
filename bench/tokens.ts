import { createHmac } from 'node:crypto';

/** The issuer and audience the benchmarked server pins (JWT_ISSUER, JWT_AUDIENCE: required in production) and every token names. */
export const BENCH_ISSUER = 'https://auth.bench.example';
export const BENCH_AUDIENCE = 'https://api.bench.example';

/** An HS256 token shaped like Better Auth's (sub, email, name, iss, aud, iat, exp), signed with node:crypto. */
export function signToken(secret: string, subject: string, lifetimeSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    sub: subject,
    email: `${subject}@example.com`,
    name: subject,
    iss: BENCH_ISSUER,
    aud: BENCH_AUDIENCE,
    iat: now,
    exp: now + lifetimeSeconds,
  };
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
