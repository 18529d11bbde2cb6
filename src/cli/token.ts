// Prints a development token: `make token USER=alice`.
import { signDevToken } from '../auth/dev-token.js';
import { ConfigError, loadAuthConfig } from '../config.js';

const subject = process.argv[2];
if (!subject) {
  console.error('usage: make token USER=<user id>');
  process.exit(2);
}
try {
  const auth = loadAuthConfig(process.env);
  if (auth.secret === undefined) {
    // A JWKS-only setup can verify tokens but not sign them: its private keys are the auth server's.
    throw new ConfigError(
      'BETTER_AUTH_SECRET is required to sign a development token (JWT_JWKS_URL only verifies tokens)',
    );
  }
  console.log(await signDevToken({ secret: auth.secret, subject, issuer: auth.issuer, audience: auth.audience }));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Configuration error: ${error.message}`);
  process.exit(1);
}
