import { isIP, isIPv4 } from 'node:net';
import path from 'node:path';
import { DEFAULT_POSTGRES_BOUNDS, type PostgresBounds } from './db/bounds.js';

/** Every setting the service reads, parsed and checked once at start. */
export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  /** PostgreSQL connection string; when absent the embedded PGlite database in `dataDir` is used. */
  readonly databaseUrl: string | undefined;
  readonly dbPoolMax: number;
  /** DB_CONNECT_TIMEOUT_MS, DB_ACQUIRE_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS (see db/bounds.ts). */
  readonly dbTimeouts: PostgresBounds;
  readonly dataDir: string;
  readonly auth: AuthConfig;
  readonly http: HttpConfig;
  readonly rateLimit: RateLimitConfig;
  readonly quotas: QuotaConfig;
  readonly history: HistoryConfig;
  readonly background: BackgroundConfig;
  readonly events: EventsConfig;
  readonly webhooks: WebhookConfig;
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
  readonly shutdownTimeoutMs: number;
  /** WEB_CONCURRENCY: how many worker processes serve (one by default; more need DATABASE_URL). */
  readonly webConcurrency: number;
}

/** How tokens are trusted: a shared HS256 secret, a JWKS endpoint, or both (at least one). */
export interface AuthConfig {
  /** BETTER_AUTH_SECRET: the HS256 secret shared with the auth server. */
  readonly secret: string | undefined;
  /** JWT_JWKS_URL: where the auth server publishes its public keys (Better Auth: /api/auth/jwks). */
  readonly jwksUrl: string | undefined;
  /** JWT_JWKS_CACHE_SECONDS: how long fetched keys are used before they are fetched again (a withdrawn key stops working within it). */
  readonly jwksCacheSeconds: number;
  /** JWT_JWKS_COOLDOWN_SECONDS: the least time between two fetches (an unknown `kid` asks for one); at most the cache time. */
  readonly jwksCooldownSeconds: number;
  /** JWT_JWKS_TIMEOUT_MS: how long a fetch of the keys may take. */
  readonly jwksTimeoutMs: number;
  /** JWT_ISSUER / JWT_AUDIENCE: the `iss` / `aud` tokens must carry; required in production (see pinnedIssuerAndAudience). */
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  /** JWT_CLOCK_SKEW_SECONDS: clock difference tolerated on `exp`, `nbf` and `iat`. */
  readonly clockSkewSeconds: number;
  /** JWT_MAX_AGE_SECONDS: the longest lifetime (`exp - iat`) a token may claim; 0 accepts any (and tokens without `iat`). */
  readonly maxAgeSeconds: number;
}

export interface HttpConfig {
  /** REQUIRE_IF_MATCH: writes to a task without If-Match (a bulk action's if_match) are refused with 428. */
  readonly requireIfMatch: boolean;
  /** CORS_ORIGINS: the browser origins allowed to call the API (comma-separated); none by default. */
  readonly corsOrigins: readonly string[];
  /** TRUST_PROXY: Express's `trust proxy` (hops, `true`, or addresses/subnets), so that the client address is the real one behind a load balancer. */
  readonly trustProxy: boolean | number | string;
  /** METRICS_TOKEN: when set, GET /metrics needs it as a Bearer token; required in production unless METRICS_PUBLIC=true. */
  readonly metricsToken: string | undefined;
  /** REQUEST_TIMEOUT_MS: the most a client may take to send its request, headers and body (then 408); handlers are bounded by the database timeouts. */
  readonly requestTimeoutMs: number;
  /** LOAD_SHED_WAIT_MS: once a request has waited this long for a database connection, new /api requests are refused with 503 while connections sit idle (src/http/load-shedding.ts); 0 turns it off. */
  readonly loadShedWaitMs: number;
}

export interface RateLimitConfig {
  /** RATE_LIMIT_WINDOW_SECONDS */
  readonly windowSeconds: number;
  /** RATE_LIMIT_PER_ADDRESS: requests per window per client address, before authentication; 0 turns it off. */
  readonly perAddress: number;
  /** RATE_LIMIT_PER_USER: requests per window per user (a search or bulk request weighs more), after authentication; 0 turns it off. */
  readonly perUser: number;
  /** RATE_LIMIT_IN_FLIGHT_PER_USER: requests one user may have running at once in each process (and one search or bulk request at a time in the whole server); 0 turns it off. */
  readonly inFlightPerUser: number;
  /** REDIS_URL: counters in Redis; otherwise in PostgreSQL (or in memory on the embedded database, one process by construction). */
  readonly redisUrl: string | undefined;
}

/** Each user's bounds (the spec's Quotas section); `undefined` is a quota turned `off`. */
export interface QuotaConfig {
  /** QUOTA_TASKS_PER_USER: tasks held, open and completed. */
  readonly tasksPerUser: number | undefined;
  /** QUOTA_STORED_BYTES_PER_USER: UTF-8 bytes of every task's title, description and tags. */
  readonly storedBytesPerUser: number | undefined;
  /** QUOTA_LISTS_PER_USER: lists held, the default one included. */
  readonly listsPerUser: number | undefined;
  /** QUOTA_TASKS_PER_LIST: tasks in one list, at every level, not counting the trash. */
  readonly tasksPerList: number | undefined;
  /** QUOTA_SUBTASKS_PER_PARENT: direct subtasks of one task, not counting the trash. */
  readonly subtasksPerParent: number | undefined;
  /** QUOTA_WEBHOOKS_PER_USER: webhooks held, enabled or not. */
  readonly webhooksPerUser: number | undefined;
  /** QUOTA_IDEMPOTENCY_KEYS_PER_USER: Idempotency-Key answers kept at once. */
  readonly idempotencyKeysPerUser: number | undefined;
  /** IDEMPOTENCY_MAX_ANSWER_BYTES: the largest answer kept for a key; a keyed request whose answer is larger is refused. */
  readonly idempotencyAnswerBytes: number;
}

/** How long what a user removed is kept. */
export interface HistoryConfig {
  /** TRASH_RETENTION_DAYS: a task stays in the trash this long after its deletion, then is purged. */
  readonly trashRetentionDays: number;
  /** CHANGES_HISTORY_DAYS: deletions stay in the changes feed this long; an older token must resync (410). */
  readonly changesHistoryDays: number;
}

/** Background work (the job engine) and the signal of new events between processes. */
export interface BackgroundConfig {
  /** RUN_JOBS: whether this process runs the background jobs (off when `make worker` processes do). */
  readonly runJobs: boolean;
  /**
   * DATABASE_LISTEN_URL (DATABASE_URL by default): the PostgreSQL connection that LISTENs for other
   * processes' events; it must not go through a transaction-mode pooler. Unused with REDIS_URL
   * (Redis pub/sub then) and on the embedded database (one process).
   */
  readonly listenUrl: string | undefined;
  /**
   * REMINDERS_POLL_MS: how often a process that runs the jobs looks for a reminder wake-up that
   * has come due, so how late a reminder may fire (a query each time); from 500.
   */
  readonly remindersPollMs: number;
  /**
   * JOBS_SUPERVISE_SECONDS: how often the job engine looks for jobs whose process died (or that
   * ran past their expiry) and runs them again; the longest a killed worker's jobs wait.
   */
  readonly superviseSeconds: number;
  /**
   * JOBS_HEARTBEAT_SECONDS: how often a long job (a webhook delivery) says it is alive; one silent
   * for longer is taken for dead (its process was killed) and runs again at the next supervision.
   */
  readonly heartbeatSeconds: number;
}

/** The live event stream (GET /api/{user_id}/events). */
export interface EventsConfig {
  /**
   * EVENT_STREAMS_PER_USER: streams one user may hold open at once (one more is a 429): across the
   * processes that share REDIS_URL, per process otherwise; 0 turns the bound off.
   */
  readonly streamsPerUser: number;
  /** EVENT_STREAM_HEARTBEAT_MS: how often an idle stream sends a comment line (and reads the outbox again, in case a signal was lost). */
  readonly heartbeatMs: number;
}

/** How webhooks are delivered, and where to. */
export interface WebhookConfig {
  /** WEBHOOK_ALLOW_HTTP: http:// URLs are accepted and delivered to (development, tests); https:// only otherwise. */
  readonly allowHttp: boolean;
  /**
   * WEBHOOK_ALLOW_PRIVATE: URLs and addresses that are not public (loopback, private, link-local,
   * unique local...) are accepted and delivered to (development, tests); never otherwise.
   */
  readonly allowPrivate: boolean;
  /** WEBHOOK_TIMEOUT_MS: the most one attempt may take, connecting and answering included. */
  readonly timeoutMs: number;
  /** WEBHOOK_MAX_ATTEMPTS: attempts of a delivery before it has failed for good. */
  readonly maxAttempts: number;
  /** WEBHOOK_RETRY_BASE_SECONDS: the wait after a delivery's first failed attempt, doubled after each next one... */
  readonly retryBaseSeconds: number;
  /** WEBHOOK_RETRY_MAX_DELAY_SECONDS: ...up to this. */
  readonly retryMaxDelaySeconds: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** A setting that is missing or invalid; its message names the variable and is fit for one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env, options: { stdoutIsTTY?: boolean } = {}): Config {
  const nodeEnv = runtimeEnv(env);
  const database = loadDatabaseConfig(env);
  return {
    env: nodeEnv,
    host: text(env, 'HOST') ?? '127.0.0.1',
    port: integer(env, 'PORT', { min: 0, max: 65535, fallback: 8000 }),
    ...database,
    auth: loadAuthConfig(env),
    http: {
      requireIfMatch: boolean(env, 'REQUIRE_IF_MATCH', false),
      corsOrigins: corsOrigins(env),
      trustProxy: trustProxy(env),
      metricsToken: metricsToken(env, nodeEnv),
      requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', { min: 1000, max: 600_000, fallback: 30_000 }),
      loadShedWaitMs: integer(env, 'LOAD_SHED_WAIT_MS', { min: 0, max: 60_000, fallback: 250 }),
    },
    rateLimit: {
      windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', { min: 1, max: 86_400, fallback: 60 }),
      perAddress: integer(env, 'RATE_LIMIT_PER_ADDRESS', { min: 0, max: 1_000_000_000, fallback: 1200 }),
      perUser: integer(env, 'RATE_LIMIT_PER_USER', { min: 0, max: 1_000_000_000, fallback: 600 }),
      inFlightPerUser: integer(env, 'RATE_LIMIT_IN_FLIGHT_PER_USER', { min: 0, max: 10_000, fallback: 4 }),
      redisUrl: redisUrl(env),
    },
    quotas: {
      tasksPerUser: quota(env, 'QUOTA_TASKS_PER_USER', 10_000),
      storedBytesPerUser: quota(env, 'QUOTA_STORED_BYTES_PER_USER', 50 * 1024 * 1024),
      listsPerUser: quota(env, 'QUOTA_LISTS_PER_USER', 100),
      tasksPerList: quota(env, 'QUOTA_TASKS_PER_LIST', 5000),
      subtasksPerParent: quota(env, 'QUOTA_SUBTASKS_PER_PARENT', 100),
      webhooksPerUser: quota(env, 'QUOTA_WEBHOOKS_PER_USER', 10),
      idempotencyKeysPerUser: quota(env, 'QUOTA_IDEMPOTENCY_KEYS_PER_USER', 1000),
      idempotencyAnswerBytes: integer(env, 'IDEMPOTENCY_MAX_ANSWER_BYTES', {
        min: 1024,
        max: 16 * 1024 * 1024,
        fallback: 64 * 1024,
      }),
    },
    history: {
      trashRetentionDays: integer(env, 'TRASH_RETENTION_DAYS', { min: 1, max: 3650, fallback: 30 }),
      changesHistoryDays: integer(env, 'CHANGES_HISTORY_DAYS', { min: 1, max: 3650, fallback: 30 }),
    },
    background: backgroundConfig(env, database.databaseUrl),
    events: {
      streamsPerUser: integer(env, 'EVENT_STREAMS_PER_USER', { min: 0, max: 10_000, fallback: 5 }),
      heartbeatMs: integer(env, 'EVENT_STREAM_HEARTBEAT_MS', { min: 1000, max: 30_000, fallback: 15_000 }),
    },
    webhooks: webhookConfig(env),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(
      env,
      'LOG_FORMAT',
      ['json', 'pretty'] as const,
      options.stdoutIsTTY && nodeEnv === 'development' ? 'pretty' : 'json',
    ),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', { min: 0, max: 600_000, fallback: 10_000 }),
    webConcurrency: webConcurrency(env, database.databaseUrl),
  };
}

/**
 * The defaults retry for about a day: after 1, 2, 4... minutes up to 4 hours between attempts, the
 * 14th and last attempt comes some 24 hours after the first.
 */
function webhookConfig(env: Env): WebhookConfig {
  const retryBaseSeconds = integer(env, 'WEBHOOK_RETRY_BASE_SECONDS', { min: 1, max: 86_400, fallback: 60 });
  const retryMaxDelaySeconds = integer(env, 'WEBHOOK_RETRY_MAX_DELAY_SECONDS', {
    min: 1,
    max: 7 * 86_400,
    fallback: 4 * 3600,
  });
  if (retryMaxDelaySeconds < retryBaseSeconds) {
    throw new ConfigError(
      `WEBHOOK_RETRY_MAX_DELAY_SECONDS (${retryMaxDelaySeconds}) must be at least WEBHOOK_RETRY_BASE_SECONDS (${retryBaseSeconds}): it bounds the waits that start there`,
    );
  }
  return {
    allowHttp: boolean(env, 'WEBHOOK_ALLOW_HTTP', false),
    allowPrivate: boolean(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    timeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', { min: 100, max: 60_000, fallback: 10_000 }),
    maxAttempts: integer(env, 'WEBHOOK_MAX_ATTEMPTS', { min: 1, max: 100, fallback: 14 }),
    retryBaseSeconds,
    retryMaxDelaySeconds,
  };
}

function runtimeEnv(env: Env): Config['env'] {
  return oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
}

function webConcurrency(env: Env, databaseUrl: string | undefined): number {
  const workers = integer(env, 'WEB_CONCURRENCY', { min: 1, max: 64, fallback: 1 });
  if (workers > 1 && databaseUrl === undefined) {
    throw new ConfigError(`WEB_CONCURRENCY=${workers} needs DATABASE_URL: the embedded database serves one process`);
  }
  return workers;
}

/**
 * RUN_JOBS and DATABASE_LISTEN_URL concern other processes, which only PostgreSQL can have: on the
 * embedded database, RUN_JOBS=false would leave the jobs to nobody.
 */
function backgroundConfig(env: Env, mainUrl: Config['databaseUrl']): BackgroundConfig {
  const runJobs = boolean(env, 'RUN_JOBS', true);
  const listenUrl = databaseUrl(env, 'DATABASE_LISTEN_URL');
  if (mainUrl === undefined && !runJobs) {
    throw new ConfigError(
      'RUN_JOBS=false needs DATABASE_URL: on the embedded database no other process (make worker) can run the jobs',
    );
  }
  if (mainUrl === undefined && listenUrl !== undefined) {
    throw new ConfigError('DATABASE_LISTEN_URL needs DATABASE_URL: the embedded database serves one process');
  }
  return {
    runJobs,
    listenUrl: listenUrl ?? mainUrl,
    remindersPollMs: integer(env, 'REMINDERS_POLL_MS', { min: 500, max: 60_000, fallback: 1000 }),
    superviseSeconds: integer(env, 'JOBS_SUPERVISE_SECONDS', { min: 1, max: 3600, fallback: 60 }),
    // pg-boss's least heartbeat is 10 s.
    heartbeatSeconds: integer(env, 'JOBS_HEARTBEAT_SECONDS', { min: 10, max: 3600, fallback: 30 }),
  };
}

/** The database settings alone, for tools that need no secret (`make migrate`). */
export function loadDatabaseConfig(env: Env): Pick<Config, 'databaseUrl' | 'dbPoolMax' | 'dbTimeouts' | 'dataDir'> {
  return {
    databaseUrl: databaseUrl(env),
    dbPoolMax: integer(env, 'DB_POOL_MAX', { min: 1, max: 1000, fallback: 10 }),
    dbTimeouts: databaseTimeouts(env),
    dataDir: dataDirOf(env),
  };
}

/** The embedded database's directory (and the development secret's): DATA_DIR, `data` by default. */
export function dataDirOf(env: Env): string {
  return path.resolve(text(env, 'DATA_DIR') ?? 'data');
}

function databaseTimeouts(env: Env): PostgresBounds {
  const bound = (name: string, fallback: number) => integer(env, name, { min: 100, max: 60_000, fallback });
  const timeouts = {
    connectTimeoutMs: bound('DB_CONNECT_TIMEOUT_MS', DEFAULT_POSTGRES_BOUNDS.connectTimeoutMs),
    acquireTimeoutMs: bound('DB_ACQUIRE_TIMEOUT_MS', DEFAULT_POSTGRES_BOUNDS.acquireTimeoutMs),
    statementTimeoutMs: bound('DB_STATEMENT_TIMEOUT_MS', DEFAULT_POSTGRES_BOUNDS.statementTimeoutMs),
  };
  // Waiting for a pooled connection includes opening one: shorter, and a request would fail while
  // a healthy database is still accepting its connection.
  if (timeouts.acquireTimeoutMs < timeouts.connectTimeoutMs) {
    throw new ConfigError(
      `DB_ACQUIRE_TIMEOUT_MS (${timeouts.acquireTimeoutMs}) must be at least DB_CONNECT_TIMEOUT_MS (${timeouts.connectTimeoutMs}): waiting for a pooled connection includes opening one`,
    );
  }
  return timeouts;
}

/** The token settings alone, for tools that only sign tokens (`make token`). */
export function loadAuthConfig(env: Env): AuthConfig {
  const secret = sharedSecret(env);
  const jwksUrl = httpUrl(env, 'JWT_JWKS_URL');
  if (secret === undefined && jwksUrl === undefined) {
    throw new ConfigError(
      `BETTER_AUTH_SECRET or JWT_JWKS_URL is required: the HS256 secret shared with the auth server (at least ${MIN_SECRET_LENGTH} characters), or the URL of its JWKS (Better Auth: https://<auth-server>/api/auth/jwks)`,
    );
  }
  const issuer = text(env, 'JWT_ISSUER');
  const audience = text(env, 'JWT_AUDIENCE');
  pinnedIssuerAndAudience(env, issuer, audience);
  return {
    secret,
    jwksUrl,
    ...jwksTimings(env),
    issuer,
    audience,
    clockSkewSeconds: integer(env, 'JWT_CLOCK_SKEW_SECONDS', { min: 0, max: 300, fallback: 30 }),
    maxAgeSeconds: integer(env, 'JWT_MAX_AGE_SECONDS', { min: 0, max: 31_536_000, fallback: 86_400 }),
  };
}

/**
 * In production a token must name this service: without JWT_ISSUER and JWT_AUDIENCE, a token any
 * trusted key signed for another service (another `aud`, another `iss`) would be accepted here.
 * JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE=true says that this is meant (read always, so a typo fails anywhere).
 */
function pinnedIssuerAndAudience(env: Env, issuer: string | undefined, audience: string | undefined): void {
  const acceptAny = boolean(env, 'JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE', false);
  if (acceptAny || runtimeEnv(env) !== 'production') return;
  const missing = [issuer ? undefined : 'JWT_ISSUER', audience ? undefined : 'JWT_AUDIENCE'].filter(Boolean);
  if (missing.length === 0) return;
  throw new ConfigError(
    `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required with NODE_ENV=production, so that tokens minted for another service are refused (Better Auth: both are its baseURL); set JWT_ACCEPT_ANY_ISSUER_AND_AUDIENCE=true to accept tokens from any issuer for any audience`,
  );
}

/** The JWKS cache settings. A withdrawn key must stop working within the cache time, so no cooldown may delay the refetch past it. */
function jwksTimings(env: Env): Pick<AuthConfig, 'jwksCacheSeconds' | 'jwksCooldownSeconds' | 'jwksTimeoutMs'> {
  const jwksCacheSeconds = integer(env, 'JWT_JWKS_CACHE_SECONDS', { min: 1, max: 86_400, fallback: 600 });
  const jwksCooldownSeconds = integer(env, 'JWT_JWKS_COOLDOWN_SECONDS', { min: 0, max: 3600, fallback: 30 });
  if (jwksCooldownSeconds > jwksCacheSeconds) {
    throw new ConfigError(
      `JWT_JWKS_COOLDOWN_SECONDS (${jwksCooldownSeconds}) must be at most JWT_JWKS_CACHE_SECONDS (${jwksCacheSeconds}): a longer cooldown would keep a withdrawn key in use past the cache time`,
    );
  }
  return {
    jwksCacheSeconds,
    jwksCooldownSeconds,
    jwksTimeoutMs: integer(env, 'JWT_JWKS_TIMEOUT_MS', { min: 100, max: 60_000, fallback: 2000 }),
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

/** A positive bound, or `off` for none; 0 is refused, since it would refuse every write rather than none. */
function quota(env: Env, name: string, fallback: number): number | undefined {
  const raw = text(env, name);
  if (raw?.toLowerCase() === 'off') return undefined;
  const max = 1_000_000_000_000;
  if (raw === '0')
    throw new ConfigError(`${name} must be a whole number from 1 to ${max}, or off for no limit (got "0")`);
  return integer(env, name, { min: 1, max, fallback });
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

function databaseUrl(env: Env, name = 'DATABASE_URL'): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL such as postgres://user@host:5432/database`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must start with postgres:// or postgresql://`);
  }
  return raw;
}

const MIN_SECRET_LENGTH = 32;

function sharedSecret(env: Env): string | undefined {
  // Not trimmed: the secret is used exactly as given, like the auth server that shares it.
  const value = env.BETTER_AUTH_SECRET;
  if (!value) return undefined;
  if (value.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`BETTER_AUTH_SECRET must be at least ${MIN_SECRET_LENGTH} characters long`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = raw.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(`${name} must be true or false (got "${raw}")`);
}

function httpUrl(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:')
    throw new ConfigError(`${name} must be an http:// or https:// URL (got "${raw}")`);
  return raw;
}

function corsOrigins(env: Env): string[] {
  const raw = text(env, 'CORS_ORIGINS');
  if (raw === undefined) return [];
  return raw.split(',').map((entry) => {
    const origin = entry.trim();
    // An origin is scheme://host[:port] exactly: no path, no trailing slash, no wildcard.
    const url = URL.canParse(origin) ? new URL(origin) : undefined;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGINS must list origins such as https://app.example.com, separated by commas (got "${origin}")`,
      );
    }
    return origin;
  });
}

/** The names Express accepts in `trust proxy` for groups of addresses. */
const PROXY_ADDRESS_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxy(env: Env): boolean | number | string {
  const raw = text(env, 'TRUST_PROXY');
  if (raw === undefined || raw.toLowerCase() === 'false') return false;
  if (raw.toLowerCase() === 'true') return true;
  if (/^\d+$/.test(raw)) return integer(env, 'TRUST_PROXY', { min: 0, max: 100, fallback: 0 }); // hops
  // Checked here, so that a mistake is a one-line error naming the variable, not Express's own at start.
  const entries = raw.split(',').map((entry) => entry.trim());
  const invalid = entries.find((entry) => !PROXY_ADDRESS_NAMES.has(entry) && !isAddressOrSubnet(entry));
  if (invalid !== undefined) {
    throw new ConfigError(
      `TRUST_PROXY must be true, false, a number of hops, or addresses, subnets and the names loopback, linklocal, uniquelocal separated by commas (got "${invalid}")`,
    );
  }
  return entries.join(',');
}

/** `10.0.0.1`, `::1`, `10.0.0.0/8`, `fd00::/8` or `10.0.0.0/255.0.0.0`, as Express reads them. */
function isAddressOrSubnet(entry: string): boolean {
  const [address = '', range, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (version === 4 ? 32 : 128);
  return version === 4 && isIPv4(range);
}

const MIN_METRICS_TOKEN_LENGTH = 16;

/**
 * In production the metrics (every operation's traffic and errors, the process's memory) are not
 * for whoever reaches the port by accident: METRICS_TOKEN is required, unless METRICS_PUBLIC=true
 * says that something else protects them (a private network, a proxy that blocks /metrics).
 * METRICS_PUBLIC is read always, so that a typo fails anywhere.
 */
function metricsToken(env: Env, nodeEnv: Config['env']): string | undefined {
  const open = boolean(env, 'METRICS_PUBLIC', false);
  const value = text(env, 'METRICS_TOKEN');
  if (value !== undefined && open)
    throw new ConfigError('METRICS_TOKEN and METRICS_PUBLIC=true contradict each other: set one of them');
  if (value === undefined) {
    if (open || nodeEnv !== 'production') return undefined;
    throw new ConfigError(
      'METRICS_TOKEN is required with NODE_ENV=production, so that /metrics is not public by accident (METRICS_TOKEN=$(openssl rand -hex 24), sent by the scraper as a Bearer token); set METRICS_PUBLIC=true to serve the metrics to anyone who can reach the port',
    );
  }
  // What a Bearer token may be (RFC 6750 b64token): a token with a space, say, could never be sent.
  if (value.length < MIN_METRICS_TOKEN_LENGTH || !/^[A-Za-z0-9\-._~+/]+=*$/.test(value)) {
    throw new ConfigError(
      `METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_LENGTH} characters of letters, digits and - . _ ~ + / (optionally ending in =)`,
    );
  }
  return value;
}

function redisUrl(env: Env): string | undefined {
  const raw = text(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url?.protocol !== 'redis:' && url?.protocol !== 'rediss:')
    throw new ConfigError('REDIS_URL must be a URL such as redis://127.0.0.1:6379');
  return raw;
}
