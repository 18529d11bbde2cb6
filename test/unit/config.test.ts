import { expect } from 'chai';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';

const SECRET = 'a'.repeat(32);

describe('config', () => {
  it('has safe defaults for everything but the secret', () => {
    const config = loadConfig({ BETTER_AUTH_SECRET: SECRET });
    expect(config).to.deep.include({
      env: 'development',
      host: '127.0.0.1',
      port: 8000,
      databaseUrl: undefined,
      dbPoolMax: 10,
      dataDir: path.resolve('data'),
      logLevel: 'info',
      logFormat: 'json',
      shutdownTimeoutMs: 10_000,
    });
    expect(config.auth).to.deep.equal({ secret: SECRET, issuer: undefined, audience: undefined, clockSkewSeconds: 30 });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: '9000',
      DATABASE_URL: 'postgresql://app@db:5432/todo',
      DB_POOL_MAX: '25',
      DATA_DIR: '/var/lib/todo',
      BETTER_AUTH_SECRET: SECRET,
      JWT_ISSUER: 'https://auth.example',
      JWT_AUDIENCE: 'https://api.example',
      JWT_CLOCK_SKEW_SECONDS: '5',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'pretty',
      SHUTDOWN_TIMEOUT_MS: '2000',
    });
    expect(config).to.deep.include({ env: 'production', host: '0.0.0.0', port: 9000, dbPoolMax: 25, dataDir: '/var/lib/todo' });
    expect(config.databaseUrl).to.equal('postgresql://app@db:5432/todo');
    expect(config.auth).to.deep.equal({ secret: SECRET, issuer: 'https://auth.example', audience: 'https://api.example', clockSkewSeconds: 5 });
    expect(config).to.deep.include({ logLevel: 'debug', logFormat: 'pretty', shutdownTimeoutMs: 2000 });
  });

  it('logs readably in a development terminal only', () => {
    expect(loadConfig({ BETTER_AUTH_SECRET: SECRET }, { stdoutIsTTY: true }).logFormat).to.equal('pretty');
    expect(loadConfig({ BETTER_AUTH_SECRET: SECRET, NODE_ENV: 'production' }, { stdoutIsTTY: true }).logFormat).to.equal('json');
  });

  const invalid: [string, Record<string, string | undefined>, RegExp][] = [
    ['a missing secret', { BETTER_AUTH_SECRET: undefined }, /^BETTER_AUTH_SECRET is required/],
    ['a short secret', { BETTER_AUTH_SECRET: 'short' }, /^BETTER_AUTH_SECRET must be at least 32 characters/],
    ['a non-numeric port', { PORT: 'abc' }, /^PORT must be a whole number from 0 to 65535/],
    ['a port out of range', { PORT: '70000' }, /^PORT must be/],
    ['a pool of zero', { DB_POOL_MAX: '0' }, /^DB_POOL_MAX must be/],
    ['an unknown log level', { LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error/],
    ['an unknown NODE_ENV', { NODE_ENV: 'staging' }, /^NODE_ENV must be one of/],
    ['a non-PostgreSQL DATABASE_URL', { DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must start with postgres/],
    ['an unparseable DATABASE_URL', { DATABASE_URL: 'not a url' }, /^DATABASE_URL must be a URL/],
    ['a negative clock skew', { JWT_CLOCK_SKEW_SECONDS: '-1' }, /^JWT_CLOCK_SKEW_SECONDS must be/],
  ];
  for (const [name, env, message] of invalid) {
    it(`refuses ${name}, naming the variable`, () => {
      expect(() => loadConfig({ BETTER_AUTH_SECRET: SECRET, ...env })).to.throw(ConfigError, message);
    });
  }

  it('never puts the secret in an error message', () => {
    const secret = 'short-secret';
    expect(() => loadConfig({ BETTER_AUTH_SECRET: secret })).to.throw(ConfigError).that.satisfies((error: Error) => !error.message.includes(secret));
  });
});
