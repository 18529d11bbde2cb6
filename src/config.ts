import path from 'node:path';

/** Every setting the service reads, parsed and checked once at start. */
export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  /** PostgreSQL connection string; when absent the embedded PGlite database in `dataDir` is used. */
  readonly databaseUrl: string | undefined;
  readonly dbPoolMax: number;
  readonly dataDir: string;
  readonly auth: {
    readonly secret: string;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
    readonly clockSkewSeconds: number;
  };
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
  readonly shutdownTimeoutMs: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** A setting that is missing or invalid; its message names the variable and is fit for one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env, options: { stdoutIsTTY?: boolean } = {}): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  return {
    env: nodeEnv,
    host: text(env, 'HOST') ?? '127.0.0.1',
    port: integer(env, 'PORT', { min: 0, max: 65535, fallback: 8000 }),
    ...loadDatabaseConfig(env),
    auth: loadAuthConfig(env),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(
      env,
      'LOG_FORMAT',
      ['json', 'pretty'] as const,
      options.stdoutIsTTY && nodeEnv === 'development' ? 'pretty' : 'json',
    ),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', { min: 0, max: 600_000, fallback: 10_000 }),
  };
}

/** The database settings alone, for tools that need no secret (`make migrate`). */
export function loadDatabaseConfig(env: Env): Pick<Config, 'databaseUrl' | 'dbPoolMax' | 'dataDir'> {
  return {
    databaseUrl: databaseUrl(env),
    dbPoolMax: integer(env, 'DB_POOL_MAX', { min: 1, max: 1000, fallback: 10 }),
    dataDir: path.resolve(text(env, 'DATA_DIR') ?? 'data'),
  };
}

/** The token settings alone, for tools that only sign tokens (`make token`). */
export function loadAuthConfig(env: Env): Config['auth'] {
  return {
    secret: secret(env),
    issuer: text(env, 'JWT_ISSUER'),
    audience: text(env, 'JWT_AUDIENCE'),
    clockSkewSeconds: integer(env, 'JWT_CLOCK_SKEW_SECONDS', { min: 0, max: 300, fallback: 30 }),
  };
}

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function integer(env: Env, name: string, rule: { min: number; max: number; fallback: number }): number {
  const raw = text(env, name);
  if (raw === undefined) return rule.fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < rule.min || value > rule.max) {
    throw new ConfigError(`${name} must be a whole number from ${rule.min} to ${rule.max} (got "${raw}")`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

function databaseUrl(env: Env): string | undefined {
  const raw = text(env, 'DATABASE_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL must be a URL such as postgres://user@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  return raw;
}

const MIN_SECRET_LENGTH = 32;

function secret(env: Env): string {
  // Not trimmed: the secret is used exactly as given, like the auth server that shares it.
  const value = env.BETTER_AUTH_SECRET;
  if (!value) {
    throw new ConfigError(
      `BETTER_AUTH_SECRET is required: the HS256 secret shared with the auth server (at least ${MIN_SECRET_LENGTH} characters)`,
    );
  }
  if (value.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`BETTER_AUTH_SECRET must be at least ${MIN_SECRET_LENGTH} characters long`);
  }
  return value;
}
