// Prints a development token on stdout (`make token USER=alice`), and on stderr how long it lives
// and which servers accept it. One process: without BETTER_AUTH_SECRET it signs with the
// development secret of DATA_DIR itself (src/auth/dev-secret.ts), as `make run` does.
import { devSecret, devSecretPath } from '../auth/dev-secret.js';
import { DEV_TOKEN_LIFETIME_SECONDS, signDevToken } from '../auth/dev-token.js';
import { ConfigError, dataDirOf, loadAuthConfig } from '../config.js';

const subject = process.argv[2];
if (!subject) {
  console.error('usage: make token USER=<user id>');
  process.exit(2);
}
try {
  const { token, acceptedBy } = await sign(subject, process.env);
  console.log(token);
  const until = new Date(Date.now() + DEV_TOKEN_LIFETIME_SECONDS * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  console.error(`Valid for ${DEV_TOKEN_LIFETIME_SECONDS / 3600} h, until ${until}; accepted by ${acceptedBy}.`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Configuration error: ${error.message}`);
  process.exit(1);
}

async function sign(sub: string, env: NodeJS.ProcessEnv): Promise<{ token: string; acceptedBy: string }> {
  const configured = Boolean(env.BETTER_AUTH_SECRET?.trim());
  if (!configured && env.JWT_JWKS_URL?.trim()) {
    // A JWKS-only setup can verify tokens but not sign them: its private keys are the auth server's.
    throw new ConfigError(
      'BETTER_AUTH_SECRET is required to sign a development token (JWT_JWKS_URL only verifies tokens)',
    );
  }
  if (!configured && env.NODE_ENV === 'production') {
    throw new ConfigError('BETTER_AUTH_SECRET is required in production (no development secret there)');
  }
  const dataDir = dataDirOf(env);
  const secret = configured ? undefined : await devSecret(dataDir);
  const auth = loadAuthConfig(secret === undefined ? env : { ...env, BETTER_AUTH_SECRET: secret });
  const token = await signDevToken({
    secret: auth.secret!,
    subject: sub,
    issuer: auth.issuer,
    audience: auth.audience,
  });
  const acceptedBy = configured
    ? 'a server with the same BETTER_AUTH_SECRET'
    : `\`make run\` with DATA_DIR=${dataDir} (signed with its development secret, ${devSecretPath(dataDir)})`;
  return { token, acceptedBy };
}
