/** The signed-in user, as established from a verified token. */
export interface AuthenticatedUser {
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
}
