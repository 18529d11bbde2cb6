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
  console.log(await signDevToken({ secret: auth.secret, subject, issuer: auth.issuer, audience: auth.audience }));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Configuration error: ${error.message}`);
  process.exit(1);
}
