import { expect } from 'chai';
import path from 'node:path';
import { ConfigError, loadAuthConfig, loadConfig } from '../../src/config.js';

const SECRET = 'a'.repeat(32);
const JWKS_URL = 'https://auth.example.com/api/auth/jwks';
const METRICS_TOKEN = 'metrics-token-0123456789';

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
      webConcurrency: 1,
    });
    expect(config.auth).to.deep.equal({
      secret: SECRET,
      jwksUrl: undefined,
      jwksCacheSeconds: 600,
      jwksCooldownSeconds: 30,
      jwksTimeoutMs: 2000,
      issuer: undefined,
      audience: undefined,
      clockSkewSeconds: 30,
      maxAgeSeconds: 86_400,
    });
    expect(config.http).to.deep.equal({
      requireIfMatch: false,
      corsOrigins: [],
      trustProxy: false,
      metricsToken: undefined,
      requestTimeoutMs: 30_000,
      loadShedWaitMs: 250,
    });
    expect(config.rateLimit).to.deep.equal({
      windowSeconds: 60,
      perAddress: 1200,
      perUser: 600,
      inFlightPerUser: 4,
      redisUrl: undefined,
    });
    expect(config.quotas).to.deep.equal({
      tasksPerUser: 10_000,
      storedBytesPerUser: 52_428_800,
      listsPerUser: 100,
      tasksPerList: 5000,
      subtasksPerParent: 100,
      webhooksPerUser: 10,
      idempotencyKeysPerUser: 1000,
      idempotencyAnswerBytes: 65_536,
    });
    expect(config.background.remindersPollMs).to.equal(1000);
    expect(config.history).to.deep.equal({ trashRetentionDays: 30, changesHistoryDays: 30 });
    expect(config.background).to.deep.equal({
      runJobs: true,
      listenUrl: undefined,
      remindersPollMs: 1000,
      superviseSeconds: 60,
      heartbeatSeconds: 30,
    });
    expect(config.webhooks).to.deep.equal({
      allowHttp: false,
      allowPrivate: false,
      timeoutMs: 10_000,
      maxAttempts: 14,
      retryBaseSeconds: 60,
      retryMaxDelaySeconds: 14_400,
    });
    expect(config.dbTimeouts).to.deep.equal({
      connectTimeoutMs: 1000,
      acquireTimeoutMs: 1500,
      statementTimeoutMs: 1500,
    });
  });

  it("reads the event stream's settings: 5 streams per user and a heartbeat every 15 s by default", () => {
    expect(loadConfig({ BETTER_AUTH_SECRET: SECRET }).events).to.deep.equal({ streamsPerUser: 5, heartbeatMs: 15_000 });
    const config = loadConfig({
      BETTER_AUTH_SECRET: SECRET,
      EVENT_STREAMS_PER_USER: '0',
      EVENT_STREAM_HEARTBEAT_MS: '5000',
    });
    expect(config.events).to.deep.equal({ streamsPerUser: 0, heartbeatMs: 5000 });
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
      JWT_JWKS_URL: JWKS_URL,
      JWT_JWKS_CACHE_SECONDS: '300',
      JWT_JWKS_COOLDOWN_SECONDS: '10',
      JWT_JWKS_TIMEOUT_MS: '1500',
      JWT_ISSUER: 'https://auth.example',
      JWT_AUDIENCE: 'https://api.example',
      JWT_CLOCK_SKEW_SECONDS: '5',
      JWT_MAX_AGE_SECONDS: '900',
      JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE: 'false',
      REQUIRE_IF_MATCH: 'true',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      TRUST_PROXY: '2',
      METRICS_TOKEN: 'metrics-token-0123456789',
      REQUEST_TIMEOUT_MS: '15000',
      LOAD_SHED_WAIT_MS: '400',
      RATE_LIMIT_WINDOW_SECONDS: '30',
      RATE_LIMIT_PER_ADDRESS: '100',
      RATE_LIMIT_PER_USER: '0',
      RATE_LIMIT_IN_FLIGHT_PER_USER: '16',
      REDIS_URL: 'rediss://:password@redis.internal:6380/2',
      QUOTA_TASKS_PER_USER: '500',
      QUOTA_STORED_BYTES_PER_USER: 'OFF',
      QUOTA_IDEMPOTENCY_KEYS_PER_USER: '20',
      QUOTA_LISTS_PER_USER: '7',
      QUOTA_TASKS_PER_LIST: 'off',
      QUOTA_SUBTASKS_PER_PARENT: '12',
      QUOTA_WEBHOOKS_PER_USER: '3',
      JOBS_SUPERVISE_SECONDS: '5',
      JOBS_HEARTBEAT_SECONDS: '12',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOW_PRIVATE: '1',
      WEBHOOK_TIMEOUT_MS: '2500',
      WEBHOOK_MAX_ATTEMPTS: '5',
      WEBHOOK_RETRY_BASE_SECONDS: '10',
      WEBHOOK_RETRY_MAX_DELAY_SECONDS: '600',
      TRASH_RETENTION_DAYS: '7',
      CHANGES_HISTORY_DAYS: '90',
      RUN_JOBS: 'false',
      DATABASE_LISTEN_URL: 'postgres://app@db-direct:5432/todo',
      REMINDERS_POLL_MS: '2000',
      IDEMPOTENCY_MAX_ANSWER_BYTES: '4096',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'pretty',
      SHUTDOWN_TIMEOUT_MS: '2000',
      WEB_CONCURRENCY: '4',
    });
    expect(config).to.deep.include({
      env: 'production',
      host: '0.0.0.0',
      port: 9000,
      dbPoolMax: 25,
      dataDir: '/var/lib/todo',
    });
    expect(config.databaseUrl).to.equal('postgresql://app@db:5432/todo');
    expect(config.auth).to.deep.equal({
      secret: SECRET,
      jwksUrl: JWKS_URL,
      jwksCacheSeconds: 300,
      jwksCooldownSeconds: 10,
      jwksTimeoutMs: 1500,
      issuer: 'https://auth.example',
      audience: 'https://api.example',
      clockSkewSeconds: 5,
      maxAgeSeconds: 900,
    });
    expect(config.http).to.deep.equal({
      requireIfMatch: true,
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      trustProxy: 2,
      metricsToken: 'metrics-token-0123456789',
      requestTimeoutMs: 15_000,
      loadShedWaitMs: 400,
    });
    expect(config.rateLimit).to.deep.equal({
      windowSeconds: 30,
      perAddress: 100,
      perUser: 0,
      inFlightPerUser: 16,
      redisUrl: 'rediss://:password@redis.internal:6380/2',
    });
    expect(config.quotas).to.deep.equal({
      tasksPerUser: 500,
      storedBytesPerUser: undefined,
      listsPerUser: 7,
      tasksPerList: undefined,
      subtasksPerParent: 12,
      webhooksPerUser: 3,
      idempotencyKeysPerUser: 20,
      idempotencyAnswerBytes: 4096,
    });
    expect(config.history).to.deep.equal({ trashRetentionDays: 7, changesHistoryDays: 90 });
    expect(config.background).to.deep.equal({
      runJobs: false,
      listenUrl: 'postgres://app@db-direct:5432/todo',
      remindersPollMs: 2000,
      superviseSeconds: 5,
      heartbeatSeconds: 12,
    });
    expect(config.webhooks).to.deep.equal({
      allowHttp: true,
      allowPrivate: true,
      timeoutMs: 2500,
      maxAttempts: 5,
      retryBaseSeconds: 10,
      retryMaxDelaySeconds: 600,
    });
    expect(config).to.deep.include({
      logLevel: 'debug',
      logFormat: 'pretty',
      shutdownTimeoutMs: 2000,
      webConcurrency: 4,
    });
  });

  it('logs readably in a development terminal only', () => {
    expect(loadConfig({ BETTER_AUTH_SECRET: SECRET }, { stdoutIsTTY: true }).logFormat).to.equal('pretty');
    expect(
      loadConfig(
        {
          BETTER_AUTH_SECRET: SECRET,
          NODE_ENV: 'production',
          JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE: 'true',
          METRICS_PUBLIC: 'true',
        },
        { stdoutIsTTY: true },
      ).logFormat,
    ).to.equal('json');
  });

  describe('how tokens are trusted', () => {
    it('accepts a JWKS URL alone (Better Auth), without a secret', () => {
      const auth = loadAuthConfig({ JWT_JWKS_URL: JWKS_URL });
      expect(auth).to.include({ secret: undefined, jwksUrl: JWKS_URL });
    });

    it('accepts the secret alone, and both together', () => {
      expect(loadAuthConfig({ BETTER_AUTH_SECRET: SECRET })).to.include({ secret: SECRET, jwksUrl: undefined });
      expect(loadAuthConfig({ BETTER_AUTH_SECRET: SECRET, JWT_JWKS_URL: JWKS_URL })).to.include({
        secret: SECRET,
        jwksUrl: JWKS_URL,
      });
    });

    it('accepts an http:// JWKS URL (an auth server on a private network)', () => {
      expect(loadAuthConfig({ JWT_JWKS_URL: 'http://auth:3000/api/auth/jwks' }).jwksUrl).to.equal(
        'http://auth:3000/api/auth/jwks',
      );
    });

    it('requires the secret or the JWKS URL, an empty or blank value counting as none', () => {
      for (const env of [
        {},
        { BETTER_AUTH_SECRET: '' },
        { JWT_JWKS_URL: '' },
        { JWT_JWKS_URL: '   ' },
        { BETTER_AUTH_SECRET: '', JWT_JWKS_URL: '' },
      ]) {
        expect(() => loadConfig(env), JSON.stringify(env)).to.throw(
          ConfigError,
          /^BETTER_AUTH_SECRET or JWT_JWKS_URL is required/,
        );
      }
    });

    describe('in production', () => {
      const PRODUCTION = { NODE_ENV: 'production', BETTER_AUTH_SECRET: SECRET, METRICS_TOKEN: METRICS_TOKEN };
      const PINNED = { JWT_ISSUER: 'https://auth.example.com', JWT_AUDIENCE: 'https://api.example.com' };

      it('refuses to start without JWT_ISSUER and JWT_AUDIENCE, naming both and the way out', () => {
        for (const load of [loadConfig, loadAuthConfig]) {
          expect(() => load(PRODUCTION)).to.throw(
            ConfigError,
            /^JWT_ISSUER and JWT_AUDIENCE are required with NODE_ENV=production, .*JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE=true/,
          );
        }
      });

      it('names the one that is missing, a blank value counting as missing', () => {
        expect(() => loadConfig({ ...PRODUCTION, ...PINNED, JWT_AUDIENCE: ' ' })).to.throw(
          ConfigError,
          /^JWT_AUDIENCE is required with NODE_ENV=production/,
        );
        expect(() => loadConfig({ ...PRODUCTION, ...PINNED, JWT_ISSUER: undefined })).to.throw(
          ConfigError,
          /^JWT_ISSUER is required with NODE_ENV=production/,
        );
      });

      it('starts with both, or with the explicit opt-out', () => {
        expect(loadConfig({ ...PRODUCTION, ...PINNED }).auth).to.include({
          issuer: PINNED.JWT_ISSUER,
          audience: PINNED.JWT_AUDIENCE,
        });
        const optedOut = loadConfig({ ...PRODUCTION, JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE: 'true' }).auth;
        expect(optedOut).to.include({ issuer: undefined, audience: undefined });
      });

      it('does not count JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE=false as the opt-out', () => {
        expect(() => loadConfig({ ...PRODUCTION, JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE: 'false' })).to.throw(
          ConfigError,
          /^JWT_ISSUER and JWT_AUDIENCE are required/,
        );
      });

      it('asks for neither outside production', () => {
        for (const NODE_ENV of ['development', 'test']) {
          expect(loadConfig({ NODE_ENV, BETTER_AUTH_SECRET: SECRET }).auth).to.include({ issuer: undefined });
        }
      });
    });

    it('keeps the secret exactly as given, spaces included', () => {
      const secret = ` ${'b'.repeat(32)} `;
      expect(loadAuthConfig({ BETTER_AUTH_SECRET: secret }).secret).to.equal(secret);
    });
  });

  describe('the metrics in production', () => {
    const PRODUCTION = {
      NODE_ENV: 'production',
      BETTER_AUTH_SECRET: SECRET,
      JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE: 'true',
    };

    it('refuses to start without METRICS_TOKEN, naming it and the way out', () => {
      expect(() => loadConfig(PRODUCTION)).to.throw(
        ConfigError,
        /^METRICS_TOKEN is required with NODE_ENV=production, .*set METRICS_PUBLIC=true to serve the metrics to anyone/,
      );
      expect(() => loadConfig({ ...PRODUCTION, METRICS_PUBLIC: 'false' })).to.throw(
        ConfigError,
        /^METRICS_TOKEN is required/,
      );
    });

    it('starts with a token, or public when METRICS_PUBLIC=true says so', () => {
      expect(loadConfig({ ...PRODUCTION, METRICS_TOKEN }).http.metricsToken).to.equal(METRICS_TOKEN);
      expect(loadConfig({ ...PRODUCTION, METRICS_PUBLIC: 'true' }).http.metricsToken).to.equal(undefined);
    });

    it('refuses a token and METRICS_PUBLIC=true together, anywhere', () => {
      for (const env of [PRODUCTION, { BETTER_AUTH_SECRET: SECRET }]) {
        expect(() => loadConfig({ ...env, METRICS_TOKEN, METRICS_PUBLIC: 'true' })).to.throw(
          ConfigError,
          /^METRICS_TOKEN and METRICS_PUBLIC=true contradict each other/,
        );
      }
    });

    it('needs no token outside production, and reads METRICS_PUBLIC there too', () => {
      for (const NODE_ENV of ['development', 'test']) {
        expect(loadConfig({ NODE_ENV, BETTER_AUTH_SECRET: SECRET }).http.metricsToken).to.equal(undefined);
      }
      expect(() => loadConfig({ BETTER_AUTH_SECRET: SECRET, METRICS_PUBLIC: 'yes' })).to.throw(
        ConfigError,
        /^METRICS_PUBLIC must be true or false/,
      );
    });
  });

  describe('what is accepted', () => {
    const accepted: [string, Record<string, string>, (config: ReturnType<typeof loadConfig>) => unknown, unknown][] = [
      ['REQUIRE_IF_MATCH=1', { REQUIRE_IF_MATCH: '1' }, (c) => c.http.requireIfMatch, true],
      ['REQUIRE_IF_MATCH=FALSE', { REQUIRE_IF_MATCH: 'FALSE' }, (c) => c.http.requireIfMatch, false],
      ['TRUST_PROXY=true', { TRUST_PROXY: 'true' }, (c) => c.http.trustProxy, true],
      ['TRUST_PROXY=False', { TRUST_PROXY: 'False' }, (c) => c.http.trustProxy, false],
      ['TRUST_PROXY=0', { TRUST_PROXY: '0' }, (c) => c.http.trustProxy, 0],
      ['TRUST_PROXY=loopback', { TRUST_PROXY: 'loopback' }, (c) => c.http.trustProxy, 'loopback'],
      [
        'TRUST_PROXY with addresses, subnets and names',
        { TRUST_PROXY: '10.0.0.1, 10.0.0.0/8, 192.168.0.0/255.255.0.0, ::1, fd00::/8, uniquelocal' },
        (c) => c.http.trustProxy,
        '10.0.0.1,10.0.0.0/8,192.168.0.0/255.255.0.0,::1,fd00::/8,uniquelocal',
      ],
      [
        'CORS_ORIGINS with one origin',
        { CORS_ORIGINS: 'https://app.example.com' },
        (c) => c.http.corsOrigins,
        ['https://app.example.com'],
      ],
      [
        'METRICS_TOKEN of base64 characters',
        { METRICS_TOKEN: 'bWV0cmljcy10b2tlbg+/==' },
        (c) => c.http.metricsToken,
        'bWV0cmljcy10b2tlbg+/==',
      ],
      [
        'REDIS_URL with redis://',
        { REDIS_URL: 'redis://127.0.0.1:6379' },
        (c) => c.rateLimit.redisUrl,
        'redis://127.0.0.1:6379',
      ],
      ['JWT_JWKS_COOLDOWN_SECONDS=0', { JWT_JWKS_COOLDOWN_SECONDS: '0' }, (c) => c.auth.jwksCooldownSeconds, 0],
      [
        'a JWKS cooldown as long as the cache time',
        { JWT_JWKS_CACHE_SECONDS: '60', JWT_JWKS_COOLDOWN_SECONDS: '60' },
        (c) => c.auth.jwksCooldownSeconds,
        60,
      ],
      ['JWT_MAX_AGE_SECONDS=0 (off)', { JWT_MAX_AGE_SECONDS: '0' }, (c) => c.auth.maxAgeSeconds, 0],
      ['RATE_LIMIT_PER_ADDRESS=0 (off)', { RATE_LIMIT_PER_ADDRESS: '0' }, (c) => c.rateLimit.perAddress, 0],
      [
        'RATE_LIMIT_IN_FLIGHT_PER_USER=0 (off)',
        { RATE_LIMIT_IN_FLIGHT_PER_USER: '0' },
        (c) => c.rateLimit.inFlightPerUser,
        0,
      ],
      ['RUN_JOBS=TRUE', { RUN_JOBS: 'TRUE' }, (c) => c.background.runJobs, true],
      [
        'RUN_JOBS=0 with DATABASE_URL (make worker runs the jobs)',
        { RUN_JOBS: '0', DATABASE_URL: 'postgres://db/todo' },
        (c) => c.background.runJobs,
        false,
      ],
      [
        'no DATABASE_LISTEN_URL: DATABASE_URL listens',
        { DATABASE_URL: 'postgres://db/todo' },
        (c) => c.background.listenUrl,
        'postgres://db/todo',
      ],
      [
        'a DATABASE_LISTEN_URL past the pooler',
        { DATABASE_URL: 'postgres://pooler:6432/todo', DATABASE_LISTEN_URL: 'postgresql://db:5432/todo' },
        (c) => c.background.listenUrl,
        'postgresql://db:5432/todo',
      ],
      [
        'the database bounds',
        { DB_CONNECT_TIMEOUT_MS: '5000', DB_ACQUIRE_TIMEOUT_MS: '5000', DB_STATEMENT_TIMEOUT_MS: '30000' },
        (c) => c.dbTimeouts,
        { connectTimeoutMs: 5000, acquireTimeoutMs: 5000, statementTimeoutMs: 30000 },
      ],
    ];
    for (const [name, env, read, expected] of accepted) {
      it(`reads ${name}`, () => {
        expect(read(loadConfig({ BETTER_AUTH_SECRET: SECRET, ...env }))).to.deep.equal(expected);
      });
    }
  });

  const invalid: [string, Record<string, string | undefined>, RegExp][] = [
    ['a short secret', { BETTER_AUTH_SECRET: 'short' }, /^BETTER_AUTH_SECRET must be at least 32 characters/],
    ['a non-numeric port', { PORT: 'abc' }, /^PORT must be a whole number from 0 to 65535/],
    ['a port out of range', { PORT: '70000' }, /^PORT must be/],
    ['a pool of zero', { DB_POOL_MAX: '0' }, /^DB_POOL_MAX must be/],
    ['an unknown log level', { LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error/],
    ['an unknown NODE_ENV', { NODE_ENV: 'staging' }, /^NODE_ENV must be one of/],
    ['a non-PostgreSQL DATABASE_URL', { DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must start with postgres/],
    ['an unparseable DATABASE_URL', { DATABASE_URL: 'not a url' }, /^DATABASE_URL must be a URL/],
    ['a negative clock skew', { JWT_CLOCK_SKEW_SECONDS: '-1' }, /^JWT_CLOCK_SKEW_SECONDS must be/],
    [
      'a JWKS URL that is not a URL',
      { JWT_JWKS_URL: 'auth.example.com/jwks' },
      /^JWT_JWKS_URL must be an http:\/\/ or https:\/\/ URL/,
    ],
    [
      'a JWKS URL of another scheme',
      { JWT_JWKS_URL: 'ftp://auth.example.com/jwks' },
      /^JWT_JWKS_URL must be an http:\/\/ or https:\/\/ URL/,
    ],
    [
      'a JWKS cache time of zero',
      { JWT_JWKS_CACHE_SECONDS: '0' },
      /^JWT_JWKS_CACHE_SECONDS must be a whole number from 1 to 86400/,
    ],
    [
      'a JWKS cooldown over an hour',
      { JWT_JWKS_COOLDOWN_SECONDS: '3601' },
      /^JWT_JWKS_COOLDOWN_SECONDS must be a whole number from 0 to 3600/,
    ],
    [
      'a JWKS cooldown longer than the cache time',
      { JWT_JWKS_CACHE_SECONDS: '60', JWT_JWKS_COOLDOWN_SECONDS: '61' },
      /^JWT_JWKS_COOLDOWN_SECONDS \(61\) must be at most JWT_JWKS_CACHE_SECONDS \(60\)/,
    ],
    ['a negative token age', { JWT_MAX_AGE_SECONDS: '-1' }, /^JWT_MAX_AGE_SECONDS must be a whole number from 0/],
    [
      'a webhook retry bound below its base',
      { WEBHOOK_RETRY_BASE_SECONDS: '120', WEBHOOK_RETRY_MAX_DELAY_SECONDS: '60' },
      /^WEBHOOK_RETRY_MAX_DELAY_SECONDS \(60\) must be at least WEBHOOK_RETRY_BASE_SECONDS \(120\)/,
    ],
    ['no webhook attempt at all', { WEBHOOK_MAX_ATTEMPTS: '0' }, /^WEBHOOK_MAX_ATTEMPTS must be a whole number from 1/],
    ['WEBHOOK_ALLOW_PRIVATE=yes', { WEBHOOK_ALLOW_PRIVATE: 'yes' }, /^WEBHOOK_ALLOW_PRIVATE must be true or false/],
    [
      'a job supervision of 0 s',
      { JOBS_SUPERVISE_SECONDS: '0' },
      /^JOBS_SUPERVISE_SECONDS must be a whole number from 1/,
    ],
    [
      'JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE=yes',
      { JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE: 'yes' },
      /^JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE must be true or false/,
    ],
    [
      'a JWKS timeout under 100 ms',
      { JWT_JWKS_TIMEOUT_MS: '50' },
      /^JWT_JWKS_TIMEOUT_MS must be a whole number from 100 to 60000/,
    ],
    ['a fractional JWKS timeout', { JWT_JWKS_TIMEOUT_MS: '1500.5' }, /^JWT_JWKS_TIMEOUT_MS must be a whole number/],
    ['REQUIRE_IF_MATCH=yes', { REQUIRE_IF_MATCH: 'Yes' }, /^REQUIRE_IF_MATCH must be true or false \(got "Yes"\)$/],
    ['a CORS origin with a path', { CORS_ORIGINS: 'https://app.example.com/' }, /^CORS_ORIGINS must list origins/],
    ['a CORS wildcard', { CORS_ORIGINS: '*' }, /^CORS_ORIGINS must list origins/],
    [
      'an empty CORS entry',
      { CORS_ORIGINS: 'https://app.example.com,' },
      /^CORS_ORIGINS must list origins .* \(got ""\)$/,
    ],
    ['a CORS origin of another scheme', { CORS_ORIGINS: 'ftp://app.example.com' }, /^CORS_ORIGINS must list origins/],
    [
      'TRUST_PROXY that is neither a boolean, hops nor addresses',
      { TRUST_PROXY: 'yes' },
      /^TRUST_PROXY must be true, false, a number of hops.*\(got "yes"\)$/,
    ],
    [
      'TRUST_PROXY with an invalid address',
      { TRUST_PROXY: 'loopback, 10.0.0.300' },
      /^TRUST_PROXY must be .*\(got "10.0.0.300"\)$/,
    ],
    ['TRUST_PROXY with a subnet too wide', { TRUST_PROXY: '10.0.0.0/33' }, /^TRUST_PROXY must be/],
    [
      'TRUST_PROXY with absurdly many hops',
      { TRUST_PROXY: '1000' },
      /^TRUST_PROXY must be a whole number from 0 to 100/,
    ],
    [
      'a METRICS_TOKEN with a space (it could never be sent)',
      { METRICS_TOKEN: 'metrics token 0123456789' },
      /^METRICS_TOKEN must be at least 16 characters/,
    ],
    ['a short METRICS_TOKEN', { METRICS_TOKEN: 'short' }, /^METRICS_TOKEN must be at least 16 characters/],
    [
      'a load-shedding wait past a minute',
      { LOAD_SHED_WAIT_MS: '60001' },
      /^LOAD_SHED_WAIT_MS must be a whole number from 0 to 60000/,
    ],
    [
      'a request timeout under a second',
      { REQUEST_TIMEOUT_MS: '999' },
      /^REQUEST_TIMEOUT_MS must be a whole number from 1000 to 600000/,
    ],
    [
      'reminders looked for more often than twice a second',
      { REMINDERS_POLL_MS: '100' },
      /^REMINDERS_POLL_MS must be a whole number from 500 to 60000/,
    ],
    [
      'a rate limit window of zero',
      { RATE_LIMIT_WINDOW_SECONDS: '0' },
      /^RATE_LIMIT_WINDOW_SECONDS must be a whole number from 1 to 86400/,
    ],
    [
      'a negative rate limit per address',
      { RATE_LIMIT_PER_ADDRESS: '-5' },
      /^RATE_LIMIT_PER_ADDRESS must be a whole number/,
    ],
    [
      'a non-numeric rate limit per user',
      { RATE_LIMIT_PER_USER: 'many' },
      /^RATE_LIMIT_PER_USER must be a whole number/,
    ],
    [
      'a quota of zero (off says no limit)',
      { QUOTA_TASKS_PER_USER: '0' },
      /^QUOTA_TASKS_PER_USER must be a whole number from 1 to 1000000000000, or off for no limit \(got "0"\)$/,
    ],
    [
      'a quota that is not a number',
      { QUOTA_STORED_BYTES_PER_USER: '50MB' },
      /^QUOTA_STORED_BYTES_PER_USER must be a whole number from 1 to 1000000000000/,
    ],
    [
      'a stored answer bound under 1 KiB',
      { IDEMPOTENCY_MAX_ANSWER_BYTES: '1000' },
      /^IDEMPOTENCY_MAX_ANSWER_BYTES must be a whole number from 1024 to 16777216/,
    ],
    [
      'a connect timeout under 100 ms',
      { DB_CONNECT_TIMEOUT_MS: '99' },
      /^DB_CONNECT_TIMEOUT_MS must be a whole number from 100 to 60000/,
    ],
    [
      'a statement timeout over a minute',
      { DB_STATEMENT_TIMEOUT_MS: '60001' },
      /^DB_STATEMENT_TIMEOUT_MS must be a whole number from 100 to 60000/,
    ],
    [
      'an acquire timeout shorter than the connect timeout',
      { DB_CONNECT_TIMEOUT_MS: '2000', DB_ACQUIRE_TIMEOUT_MS: '1000' },
      /^DB_ACQUIRE_TIMEOUT_MS \(1000\) must be at least DB_CONNECT_TIMEOUT_MS \(2000\)/,
    ],
    [
      'a heartbeat under a second',
      { EVENT_STREAM_HEARTBEAT_MS: '999' },
      /^EVENT_STREAM_HEARTBEAT_MS must be a whole number from 1000 to 30000/,
    ],
    [
      'a heartbeat longer than proxies keep an idle connection (30 s)',
      { EVENT_STREAM_HEARTBEAT_MS: '30001' },
      /^EVENT_STREAM_HEARTBEAT_MS must be a whole number from 1000 to 30000/,
    ],
    [
      'a negative number of streams per user',
      { EVENT_STREAMS_PER_USER: '-1' },
      /^EVENT_STREAMS_PER_USER must be a whole number from 0 to 10000/,
    ],
    ['a REDIS_URL of another scheme', { REDIS_URL: 'http://redis:6379' }, /^REDIS_URL must be a URL such as redis:/],
    ['a REDIS_URL that is not a URL', { REDIS_URL: 'redis' }, /^REDIS_URL must be a URL such as redis:/],
    [
      'WEB_CONCURRENCY=0',
      { WEB_CONCURRENCY: '0', DATABASE_URL: 'postgres://db/todo' },
      /^WEB_CONCURRENCY must be a whole number from 1 to 64/,
    ],
    [
      'WEB_CONCURRENCY over 64',
      { WEB_CONCURRENCY: '65', DATABASE_URL: 'postgres://db/todo' },
      /^WEB_CONCURRENCY must be a whole number from 1 to 64/,
    ],
    [
      'WEB_CONCURRENCY=auto',
      { WEB_CONCURRENCY: 'auto', DATABASE_URL: 'postgres://db/todo' },
      /^WEB_CONCURRENCY must be a whole number/,
    ],
    ['RUN_JOBS=yes', { RUN_JOBS: 'yes', DATABASE_URL: 'postgres://db/todo' }, /^RUN_JOBS must be true or false/],
    [
      'RUN_JOBS=false on the embedded database',
      { RUN_JOBS: 'false' },
      /^RUN_JOBS=false needs DATABASE_URL: on the embedded database no other process \(make worker\) can run the jobs$/,
    ],
    [
      'DATABASE_LISTEN_URL on the embedded database',
      { DATABASE_LISTEN_URL: 'postgres://db/todo' },
      /^DATABASE_LISTEN_URL needs DATABASE_URL: the embedded database serves one process$/,
    ],
    [
      'a non-PostgreSQL DATABASE_LISTEN_URL',
      { DATABASE_URL: 'postgres://db/todo', DATABASE_LISTEN_URL: 'redis://db:6379' },
      /^DATABASE_LISTEN_URL must start with postgres/,
    ],
    [
      'an unparseable DATABASE_LISTEN_URL',
      { DATABASE_URL: 'postgres://db/todo', DATABASE_LISTEN_URL: 'db:5432' },
      /^DATABASE_LISTEN_URL must (be a URL|start with postgres)/,
    ],
    [
      'several workers on the embedded database',
      { WEB_CONCURRENCY: '2' },
      /^WEB_CONCURRENCY=2 needs DATABASE_URL: the embedded database serves one process$/,
    ],
  ];
  for (const [name, env, message] of invalid) {
    it(`refuses ${name}, naming the variable`, () => {
      expect(() => loadConfig({ BETTER_AUTH_SECRET: SECRET, ...env })).to.throw(ConfigError, message);
    });
  }

  const secrets: [string, Record<string, string>, string][] = [
    ['BETTER_AUTH_SECRET', { BETTER_AUTH_SECRET: 'short-secret' }, 'short-secret'],
    ['METRICS_TOKEN', { BETTER_AUTH_SECRET: SECRET, METRICS_TOKEN: 'secret metrics token' }, 'secret metrics token'],
    [
      'the password in DATABASE_LISTEN_URL',
      {
        BETTER_AUTH_SECRET: SECRET,
        DATABASE_URL: 'postgres://db/todo',
        DATABASE_LISTEN_URL: 'mysql://app:hunter3-password@db/todo',
      },
      'hunter3-password',
    ],
    [
      'the password in REDIS_URL',
      { BETTER_AUTH_SECRET: SECRET, REDIS_URL: 'http://:hunter2-password@redis:6379' },
      'hunter2-password',
    ],
  ];
  for (const [name, env, secret] of secrets) {
    it(`never puts ${name} in an error message`, () => {
      expect(() => loadConfig(env))
        .to.throw(ConfigError)
        .that.satisfies((error: Error) => !error.message.includes(secret));
    });
  }
});
