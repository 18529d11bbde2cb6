import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';

/** The user the start-up line's token command names, as the README's examples do. */
const EXAMPLE_USER = 'alice';

export interface StartUpLine {
  readonly fields: { readonly host: string; readonly port: number; readonly docs: string; readonly token?: string };
  readonly msg: string;
}

/**
 * What the server says once it serves: where (the URL), where its documentation is, and in
 * development with an HS256 secret, the command that prints a token it accepts. The message reads
 * on its own in the pretty log; the fields are for whoever reads the JSON one.
 */
export function startUpLine(
  config: Pick<Config, 'env' | 'host' | 'dataDir'> & { auth: Pick<Config['auth'], 'secret'> },
  port: number,
): StartUpLine {
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const docs = `${url}/docs`;
  const token = config.env === 'development' && config.auth.secret ? tokenCommand(config) : undefined;
  return {
    fields: { host: config.host, port, docs, ...(token ? { token } : {}) },
    msg: `listening on ${url} · docs: ${docs}${token ? ` · a token: ${token}` : ''}`,
  };
}

/**
 * `make token` signs with BETTER_AUTH_SECRET when set, else with the development secret of its
 * DATA_DIR (`make run`'s): a server on another DATA_DIR needs the command to name it.
 */
function tokenCommand(config: Pick<Config, 'dataDir'> & { auth: Pick<Config['auth'], 'secret'> }): string {
  const command = `make token USER=${EXAMPLE_USER}`;
  if (readDevSecret(config.dataDir) !== config.auth.secret) return `${command} (with this BETTER_AUTH_SECRET)`;
  return config.dataDir === path.resolve('data') ? command : `${command} DATA_DIR=${config.dataDir}`;
}

function readDevSecret(dataDir: string): string | undefined {
  try {
    return readFileSync(path.join(dataDir, 'dev-secret'), 'utf8').trim();
  } catch {
    return undefined;
  }
}
