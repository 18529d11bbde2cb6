// Prints the development secret kept under DATA_DIR (src/auth/dev-secret.ts), for `make run` when
// neither BETTER_AUTH_SECRET nor JWT_JWKS_URL is set. Refused in production: there, trust must be configured.
import { devSecret } from '../auth/dev-secret.js';
import { dataDirOf } from '../config.js';

if (process.env.NODE_ENV === 'production') {
  console.error('Configuration error: BETTER_AUTH_SECRET or JWT_JWKS_URL is required in production');
  process.exit(1);
}
console.log(await devSecret(dataDirOf(process.env)));
