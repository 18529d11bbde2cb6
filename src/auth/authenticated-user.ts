/** The signed-in user, as established from a verified token. */
export interface AuthenticatedUser {
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // Passport's `req.user` is the user our authenticator establishes.
    interface User extends AuthenticatedUser {}
  }
}
