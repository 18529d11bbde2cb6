import { isDatabaseUnavailable } from './availability.js';
import type { PostgresBounds } from './bounds.js';

/**
 * Why the server could not use the database at start, in one line for an operator: the cause in
 * their words (a database or role that does not exist, a refused password, TLS, a host that is not
 * found or does not answer), naming DATABASE_URL, shown without its password. Undefined when
 * `error` is not the database's (a bug, which keeps its stack trace).
 */
export function describeDatabaseFailure(
  error: unknown,
  databaseUrl: string,
  { connectTimeoutMs }: Pick<PostgresBounds, 'connectTimeoutMs'>,
): string | undefined {
  const code = errorCode(error);
  const message = error instanceof Error ? firstLine(error.message) : String(error);
  const url = parseUrl(databaseUrl);
  const named = `DATABASE_URL (${url ? shownUrl(url) : 'not a URL'})`;
  const server = url ? `${url.hostname}:${url.port || '5432'}` : 'the database server';
  const role = url ? decodeURIComponent(url.username) || 'the default role' : 'the role';

  switch (code) {
    case '3D000':
      return `the database ${quoted(url?.pathname.slice(1))} named by ${named} does not exist on ${server} (3D000)`;
    case '28P01':
      return `${server} refused the password for role "${role}" in ${named} (28P01)`;
    case '28000':
      if (/role .* does not exist/.test(message))
        return `the role "${role}" named by ${named} does not exist on ${server} (28000)`;
      // PostgreSQL names what was tried: "no encryption" (15+) or "SSL off" (older) means that a
      // hostssl line would have let the connection in.
      if (/(no pg_hba\.conf entry|pg_hba\.conf rejects connection).*(no encryption|SSL off)/.test(message))
        return `${server} accepts only TLS connections: add sslmode=require to ${named} (28000: ${message})`;
      return `${server} refused the connection of ${named} (28000: ${message})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the database host ${quoted(url?.hostname)} in ${named} was not found (${code})`;
    case 'ECONNREFUSED':
      return `nothing accepts connections at ${server}, the database server of ${named} (ECONNREFUSED)`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the database server ${server} of ${named} cannot be reached (${code})`;
  }
  if (/does not support SSL/.test(message))
    return `${named} asks for TLS (${tlsSetting(url)}) but ${server} does not support it: remove it, or enable ssl on the server`;
  // The pool's own wait (DB_ACQUIRE_TIMEOUT_MS, at least the connect timeout) can only run out first
  // when it equals the connect timeout: the same silence, told the same way.
  if (/connection timeout|timeout expired/i.test(message) || (error as Error | undefined)?.name === 'KnexTimeoutError')
    return `the database server ${server} of ${named} did not answer within DB_CONNECT_TIMEOUT_MS (${connectTimeoutMs} ms)`;
  if (/client password must be a string/.test(message))
    return `${server} asks for a password for role "${role}", and ${named} has none`;
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code))
    return `the TLS certificate of ${server} was not accepted for ${named} (${code}: ${message})`;
  // Anything else the server itself reported (a SQLSTATE: permissions, too many connections…) or
  // that kept the connection from opening is still the database's; its own words close the line.
  if (isDatabaseUnavailable(error) || (code !== undefined && /^[0-9A-Z]{5}$/.test(code)))
    return `the database of ${named} failed: ${message}${code ? ` (${code})` : ''}`;
  return undefined;
}

/** The URL as it can be shown: the password (and any secret parameter) replaced by `***`. */
export function shownUrl(url: URL): string {
  const shown = new URL(url);
  if (shown.password) shown.password = '***';
  for (const name of ['password', 'sslpassword']) if (shown.searchParams.has(name)) shown.searchParams.set(name, '***');
  return decodeURIComponent(shown.toString());
}

function tlsSetting(url: URL | undefined): string {
  const mode = url?.searchParams.get('sslmode');
  if (mode) return `sslmode=${mode}`;
  const ssl = url?.searchParams.get('ssl');
  return ssl ? `ssl=${ssl}` : 'TLS';
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function parseUrl(raw: string): URL | undefined {
  return URL.canParse(raw) ? new URL(raw) : undefined;
}

function quoted(value: string | undefined): string {
  return value ? `"${decodeURIComponent(value)}"` : '(none)';
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.slice(0, 300);
}
