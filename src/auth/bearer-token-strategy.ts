import { Strategy } from 'passport-strategy';
import { userFromClaims } from './claims.js';
import { TokenRefused, type TokenRefusal, type TokenVerifier } from './token-verifier.js';

/** Why the strategy did not establish a user: the verifier's reasons, and two of its own. */
export type BearerFailure = TokenRefusal | 'no-token' | 'bad-claims';

/**
 * A Passport strategy for `Authorization: Bearer <JWT>`: the token is checked by `verify`, then
 * its claims must name a user (claims.ts). It fails with a `BearerFailure` as the challenge, which
 * the authenticator turns into words; an error that is not about the token is passed on as one.
 */
/** What the strategy reads of a request: its headers. */
interface BearerRequest {
  readonly headers: { readonly authorization?: string | undefined };
}

export class BearerTokenStrategy extends Strategy {
  readonly name = 'bearer-token';

  constructor(private readonly verify: TokenVerifier) {
    super();
  }

  override authenticate(req: BearerRequest): void {
    const token = bearerToken(req);
    if (token === undefined) return this.failWith('no-token');
    this.verify(token).then(
      (claims) => {
        const user = userFromClaims(claims);
        if (user) this.success(user);
        else this.failWith('bad-claims');
      },
      (error: unknown) => {
        if (error instanceof TokenRefused) this.failWith(error.refusal);
        else this.error(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private failWith(failure: BearerFailure): void {
    this.fail(failure, 401);
  }
}

/** The token of an `Authorization: Bearer` header (the scheme name in any case, RFC 7235). */
function bearerToken(req: BearerRequest): string | undefined {
  return /^bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
}
