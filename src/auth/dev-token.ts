import { SignJWT } from 'jose';

/** How long a development token lives unless asked otherwise. */
export const DEV_TOKEN_LIFETIME_SECONDS = 3600;

export interface DevTokenOptions {
  readonly secret: string;
  readonly subject: string;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  readonly expiresInSeconds?: number;
  readonly claims?: Record<string, unknown>;
}

/** An HS256 token shaped like Better Auth's (sub, email, name, exp), for development and tests. */
export function signDevToken(options: DevTokenOptions): Promise<string> {
  const jwt = new SignJWT({ email: `${options.subject}@example.com`, name: options.subject, ...options.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuedAt()
    .setExpirationTime(`${options.expiresInSeconds ?? DEV_TOKEN_LIFETIME_SECONDS}s`);
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
