import { createHmac } from 'node:crypto';

/** An HS256 token shaped like Better Auth's (sub, email, name, exp), signed with node:crypto. */
export function signToken(secret: string, subject: string, lifetimeSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: subject, email: `${subject}@example.com`, name: subject, iat: now, exp: now + lifetimeSeconds })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
