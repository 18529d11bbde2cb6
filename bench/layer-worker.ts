import { subscribe } from 'node:diagnostics_channel';
import { readFile, writeFile } from 'node:fs/promises';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Express } from 'express';
import type * as App from '../src/app.js';
import type * as Config from '../src/config.js';
import type * as Database from '../src/db/database.js';
import type * as Logger from '../src/logger.js';
import { signToken } from './tokens.js';

/** What the orchestrator asks for (layer-costs.ts). */
export interface LayerJob {
  readonly env: Record<string, string>;
  readonly requestsPerScenario: number;
  readonly warmupRequests: number;
}

/** Mean µs per request spent in each part of the pipeline, per scenario, in pipeline order. */
export type LayerCosts = Record<string, { readonly total: number; readonly parts: Record<string, number> }>;

const ROOT = path.resolve(import.meta.dirname, '..');
/** A module of the compiled server (dist/, as production runs it), typed as its source. */
const compiled = <T>(module: string) => import(pathToFileURL(path.join(ROOT, 'dist/src', module)).href) as Promise<T>;

/** Router layers the validator mounts: one row for the validator as a whole. */
const VALIDATOR_LAYERS = new Set([
  'pathParamsMiddleware',
  'metadataMiddleware',
  'securityMiddleware',
  'multipartMiddleware',
  'requestMiddleware',
  'responseMiddleware',
]);
const BEFORE = 'before the first middleware (Express)';
const AFTER = 'after the answer (log line, metrics)';

interface Timing {
  readonly started: number;
  readonly marks: [string, number][];
  ended?: number;
}

/**
 * Runs our app in this process, on the database of `env`, and sends each scenario's requests one
 * at a time over one keep-alive connection, so that nothing else runs meanwhile: the time between
 * the start of a middleware and the start of the next one (from the router's diagnostics channel
 * `express.router.request`) is that middleware's cost for the request, its database round trips
 * included; the last one runs until the answer is ended. The figures are means over the requests.
 */
async function main(jobFile: string, resultFile: string): Promise<void> {
  const job = JSON.parse(await readFile(jobFile, 'utf8')) as LayerJob;
  Object.assign(process.env, job.env);
  const { loadConfig } = await compiled<typeof Config>('config.js');
  const { createLogger } = await compiled<typeof Logger>('logger.js');
  const { openDatabase } = await compiled<typeof Database>('db/database.js');
  const { createApp } = await compiled<typeof App>('app.js');
  const config = loadConfig(process.env, { stdoutIsTTY: false });
  const logger = createLogger(config);
  const database = await openDatabase(config, undefined, { applyMigrations: true });
  const app: Express = createApp({ config, db: database.knex, logger });

  const timings = new WeakMap<IncomingMessage, Timing>();
  subscribe('tracing:express.router.request:start', (message) => {
    const { req, layer } = message as { req: IncomingMessage; layer: { name: string } };
    const name = VALIDATOR_LAYERS.has(layer.name) ? 'OpenAPI validator' : layer.name;
    const marks = timings.get(req)?.marks;
    if (marks && marks.at(-1)?.[0] !== name) marks.push([name, performance.now()]);
  });
  const parts = new Map<string, number>();
  let totals = 0;
  let counted = 0;
  let counting = false;
  const add = (name: string, ms: number) => parts.set(name, (parts.get(name) ?? 0) + ms);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const timing: Timing = { started: performance.now(), marks: [] };
    timings.set(req, timing);
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      timing.ended ??= performance.now();
      return end(...args);
    }) as typeof res.end;
    const emit = res.emit.bind(res) as (event: string, ...args: unknown[]) => boolean;
    res.emit = ((event: string, ...args: unknown[]) => {
      if (event !== 'finish') return emit(event, ...args);
      const finishing = performance.now();
      const result = emit(event, ...args);
      const finished = performance.now();
      if (counting) {
        const marks = timing.marks;
        add(BEFORE, (marks[0]?.[1] ?? timing.ended!) - timing.started);
        marks.forEach(([name, at], i) => add(name, (marks[i + 1]?.[1] ?? timing.ended!) - at));
        add(AFTER, finished - finishing);
        totals += finished - timing.started;
        counted++;
      }
      return result;
    }) as typeof res.emit;
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (method: string, url: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ agent, host: '127.0.0.1', port, method, path: url, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  const user = 'bench-layers';
  const auth = { authorization: `Bearer ${signToken(job.env.BETTER_AUTH_SECRET!, user)}` };
  const json = { ...auth, 'content-type': 'application/json' };
  // The writer is another user, so that the list read below keeps its 100 tasks.
  const writer = 'bench-layers-writer';
  const writerJson = { ...json, authorization: `Bearer ${signToken(job.env.BETTER_AUTH_SECRET!, writer)}` };
  const newTask = (n: number) => JSON.stringify({ title: `Task ${n}`, priority: 'medium', tags: ['work'] });
  const ids: number[] = [];
  for (let n = 0; n < 100; n++) {
    const created = await send('POST', `/api/${user}/tasks`, json, newTask(n));
    if (created.status !== 201) throw new Error(`seeding: ${created.status} ${created.body}`);
    ids.push((JSON.parse(created.body) as { id: number }).id);
  }
  let n = 0;
  const scenarios: Record<string, { status: number; next: () => Parameters<typeof send> }> = {
    health: { status: 200, next: () => ['GET', '/health', {}] },
    unauthenticated: { status: 401, next: () => ['GET', `/api/${user}/tasks?limit=100`, {}] },
    get: { status: 200, next: () => ['GET', `/api/${user}/tasks/${ids[n++ % ids.length]}`, auth] },
    list: { status: 200, next: () => ['GET', `/api/${user}/tasks?limit=100`, auth] },
    create: { status: 201, next: () => ['POST', `/api/${writer}/tasks`, writerJson, newTask(n++)] },
  };

  const result: LayerCosts = {};
  for (const [name, scenario] of Object.entries(scenarios)) {
    for (const [requests, measured] of [
      [job.warmupRequests, false],
      [job.requestsPerScenario, true],
    ] as const) {
      parts.clear();
      totals = 0;
      counted = 0;
      counting = measured;
      for (let i = 0; i < requests; i++) {
        const answer = await send(...scenario.next());
        if (answer.status !== scenario.status)
          throw new Error(`${name}: expected ${scenario.status}, got ${answer.status}: ${answer.body}`);
      }
    }
    const micros = (ms: number) => Math.round((ms * 1000) / counted);
    result[name] = {
      total: micros(totals),
      parts: Object.fromEntries([...parts].map(([part, ms]) => [part, micros(ms)])),
    };
  }
  agent.destroy();
  server.close();
  await database.close();
  await writeFile(resultFile, JSON.stringify(result));
  logger.flush();
}

const [jobFile, resultFile] = process.argv.slice(2);
await main(jobFile!, resultFile!);
