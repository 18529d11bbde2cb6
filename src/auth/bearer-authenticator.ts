import type { Request, Response } from 'express';
import { Passport } from 'passport';
import passportJwt from 'passport-jwt';
import type { Config } from '../config.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { HttpProblem } from '../http/problem.js';
import { userFromClaims } from './claims.js';

const { Strategy: JwtStrategy, ExtractJwt } = passportJwt;

/** Establishes the signed-in user from the request's Bearer token, or throws a 401 problem. */
export type Authenticator = (req: Request, res: Response) => Promise<AuthenticatedUser>;

const STRATEGY = 'better-auth-hs256';

/** Reasons a token is refused; each becomes the RFC 6750 `error_description`. */
const NO_TOKEN = 'no-token';
const BAD_CLAIMS = 'bad-claims';

export function createBearerAuthenticator(auth: Config['auth']): Authenticator {
  const passport = new Passport();
  passport.use(
    STRATEGY,
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKey: auth.secret,
        algorithms: ['HS256'],
        ...(auth.issuer ? { issuer: auth.issuer } : {}),
        ...(auth.audience ? { audience: auth.audience } : {}),
        jsonWebTokenOptions: { clockTolerance: auth.clockSkewSeconds },
      },
      (claims: Record<string, unknown>, done: (error: unknown, user?: AuthenticatedUser | false, info?: unknown) => void) => {
        const user = userFromClaims(claims);
        if (user) done(null, user);
        else done(null, false, BAD_CLAIMS);
      },
    ),
  );

  return (req, res) =>
    new Promise((resolve, reject) => {
      const callback = (error: unknown, user: AuthenticatedUser | false, info: unknown) => {
        if (error) reject(error);
        else if (user) resolve(user);
        else reject(unauthorized(hasBearerToken(req) ? info : NO_TOKEN));
      };
      passport.authenticate(STRATEGY, { session: false }, callback)(req, res, reject);
    });
}

function hasBearerToken(req: Request): boolean {
  return /^bearer\s+\S/i.test(req.headers.authorization ?? '');
}

function unauthorized(reason: unknown): HttpProblem {
  if (reason === NO_TOKEN) {
    return new HttpProblem(401, 'This operation needs a Bearer token in the Authorization header.', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
  const description = describe(reason);
  return new HttpProblem(401, `${description}.`, {
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"` },
  });
}

/** Our own words for each failure: library messages never reach the client. */
function describe(reason: unknown): string {
  if (reason === BAD_CLAIMS) return 'The token must have a subject (sub) of 1 to 255 characters and an expiry (exp)';
  const name = reason instanceof Error ? reason.name : '';
  const message = reason instanceof Error ? reason.message : '';
  if (name === 'TokenExpiredError') return 'The token has expired';
  if (name === 'NotBeforeError') return 'The token is not valid yet';
  if (/audience|issuer/.test(message)) return 'The token was not issued for this service';
  return 'The token is malformed, badly signed or uses an algorithm that is not allowed';
}
