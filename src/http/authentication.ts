import type { Request, RequestHandler, Response } from 'express';
import { Passport } from 'passport';
import type { Logger } from 'pino';
import { BearerTokenStrategy, type BearerFailure } from '../auth/bearer-token-strategy.js';
import { createTokenVerifier } from '../auth/token-verifier.js';
import type { AuthConfig } from '../config.js';
import type { AuthenticatedUser } from '../contract/authenticated-user.js';
import { DomainError } from '../contract/domain-error.js';
import { PUBLIC_OPERATIONS } from '../contract/operations.js';
import { resolvedOperation } from './operation-index.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // Passport's `req.user` is the user our authenticator establishes.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging needs an interface
    interface User extends AuthenticatedUser {}
  }
}

/** Establishes the signed-in user from the request's Bearer token, or throws the 401. */
export type Authenticator = (req: Request, res: Response) => Promise<AuthenticatedUser>;

/**
 * Passport with one strategy: a Bearer JWT, trusted through the shared secret (HS256), the JWKS
 * endpoint (EdDSA, ES256, ES512, RS256, PS256), or both, as configured.
 */
export function createBearerAuthenticator(auth: AuthConfig, logger: Logger): Authenticator {
  const passport = new Passport();
  const strategy = new BearerTokenStrategy(createTokenVerifier(auth, logger));
  passport.use(strategy);
  const descriptions = describeFailures(auth.maxAgeSeconds);

  return (req, res) =>
    new Promise((resolve, reject) => {
      const callback = (error: Error | null, user: AuthenticatedUser | false, failure: BearerFailure) => {
        if (error) reject(error);
        else if (user) resolve(user);
        else reject(unauthenticated(failure, descriptions));
      };
      const authenticate = passport.authenticate(strategy.name, { session: false }, callback) as RequestHandler;
      authenticate(req, res, (error?: unknown) => reject(error instanceof Error ? error : new Error(String(error))));
    });
}

const PUBLIC: ReadonlySet<string> = new Set(PUBLIC_OPERATIONS);

/**
 * Before the body is read: the caller of a protected operation, from a Bearer token that verifies
 * (verifications are cached), so that the per-user limits can refuse a request before its body is
 * read, parsed and validated. A token that does not verify is left for dispatch to refuse, after
 * the request is validated, as without this step: a 400 still comes before a 401.
 */
export function identifyCaller(authenticate: Authenticator): RequestHandler {
  const identifyCaller: RequestHandler = (req, res, next) => {
    const resolved = resolvedOperation(req);
    if (!resolved || PUBLIC.has(resolved.entry.operationId) || req.headers.authorization === undefined) return next();
    authenticate(req, res).then(
      (user) => {
        req.user = user;
        next();
      },
      () => next(),
    );
  };
  return identifyCaller;
}

/** The refusal, with its RFC 6750 challenge: plain `Bearer` when no token was sent. */
function unauthenticated(failure: BearerFailure, descriptions: FailureDescriptions): DomainError {
  if (failure === 'no-token') {
    return new DomainError('unauthenticated', 'This operation needs a Bearer token in the Authorization header.', {
      challenge: 'Bearer',
    });
  }
  const description = descriptions[failure];
  return new DomainError('unauthenticated', `${description}.`, {
    challenge: `Bearer error="invalid_token", error_description="${description}"`,
  });
}

type FailureDescriptions = Record<Exclude<BearerFailure, 'no-token'>, string>;

/** Our own words for each refusal (RFC 6750 `error_description`: no quotes, no backslashes). */
const describeFailures = (maxAgeSeconds: number): FailureDescriptions => ({
  'bad-claims': 'The token must have a subject (sub) of 1 to 255 characters and an expiry (exp)',
  expired: 'The token has expired',
  'not-yet-valid': 'The token is not valid yet',
  'no-issue-time': 'The token must say when it was issued (iat)',
  'lives-too-long': `The token is valid for longer than the ${maxAgeSeconds} seconds this service accepts from its issue (iat) to its expiry (exp)`,
  'issued-in-the-future': 'The token says it was issued (iat) in the future',
  'not-for-this-service': 'The token was not issued for this service',
  'unknown-key': 'The token is signed with a key this service does not know',
  'ambiguous-key': 'The token does not name its signing key (kid) and several keys could have signed it',
  invalid: 'The token is malformed, badly signed or uses an algorithm that is not allowed',
});
