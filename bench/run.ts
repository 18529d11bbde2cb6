/**
 * `make bench`: our server compiled (dist/, `make build`) in production mode on a fresh PostgreSQL
 * database, seeded through the API, loaded by a separate process on loopback, with the defaults
 * production runs (rate limits on, LOG_LEVEL=info); then the scenarios marked `defaultsOff` again with both off;
 * then the two references (floor-server.ts on node:http, express-floor-server.ts on Express 5) on
 * the same data and the scenarios they implement. Writes bench/results/<time>.{md,json} and latest.*.
 *
 * Env: BENCH_SECONDS (10) and BENCH_WARMUP_SECONDS (2) per scenario; BENCH_SCENARIOS, names
 * separated by commas, to run some only (an open loop brings the mixed scenario with it, its rate
 * being a share of mixed's; "noisy neighbour" for its three measurements, on a
 * server of its own with the per-user limits on: about a minute alone; BENCH_ADDRESS_LIMIT sets
 * its per-address limit, off by default); BENCH_SERVER_NODE_ARGS, node flags for our server
 * (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"); BENCH_WEB_CONCURRENCY, our server's workers (one per
 * core); BENCH_ADMIN_DATABASE_URL (see database.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stopAllChildren } from './children.js';
import { createDatabase, dropDatabase } from './database.js';
import { measureLayerCosts } from './layer-costs.js';
import { runLoad } from './load-process.js';
import { describeMachine } from './machine.js';
import { judgeTargets, renderMarkdown, writeReport, type Measurement } from './report.js';
import { followRss } from './rss.js';
import { seedNeighbour } from './neighbour-seed.js';
import {
  CAPACITY_SCENARIO,
  isMixedOpenLoop,
  MANY_USERS,
  NEIGHBOUR_TASKS,
  NOISY_NEIGHBOUR,
  NOISY_NEIGHBOUR_NAME,
  SCENARIOS,
  type Scenario,
} from './scenarios.js';
import { seed } from './seed.js';
import { shedCount } from './shed-count.js';
import { startServer, type RunningServer } from './server-process.js';
import { BENCH_AUDIENCE, BENCH_ISSUER } from './tokens.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RESULTS_DIR = path.join(import.meta.dirname, 'results');
/** The issue's budget is 10 minutes; past this the run gives up, cleaning up after itself. */
const DEADLINE_MS = 9.5 * 60_000;
/** Database connections per server process (DB_POOL_MAX, ours by default): the floor's and each of our workers'. */
const POOL_SIZE = 10;
/** Our server's worker processes (WEB_CONCURRENCY): one per core unless BENCH_WEB_CONCURRENCY says otherwise. */
const workers = Number(process.env.BENCH_WEB_CONCURRENCY ?? os.availableParallelism());
const OUR_SERVER = path.join(ROOT, 'dist/src/server.js');
/**
 * The default limits, on and counting, but far above what the benchmark sends (all of it from
 * 127.0.0.1, list, get and create as one user on 64 connections); the task quotas likewise (the
 * create scenario adds thousands of tasks to one user): what each costs is measured.
 */
const LIMITS_RAISED = {
  RATE_LIMIT_PER_ADDRESS: '1000000000',
  RATE_LIMIT_PER_USER: '1000000000',
  RATE_LIMIT_IN_FLIGHT_PER_USER: '10000',
  QUOTA_TASKS_PER_USER: '1000000000',
  QUOTA_STORED_BYTES_PER_USER: '1000000000000',
  QUOTA_TASKS_PER_LIST: '1000000000',
};
/** The references, each measured on the scenarios they implement, after our server, on the same data. */
const REFERENCES = [
  ['floor', 'the node:http floor server', 'floor-server.ts'],
  ['express', 'the Express floor server', 'express-floor-server.ts'],
] as const;

/** The per-layer measurement's requests per scenario, after its warm-up ones. */
const LAYER_REQUESTS = 3000;
const LAYER_WARMUP_REQUESTS = 1000;
const METRICS_TOKEN = randomBytes(24).toString('hex');

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const only = process.env.BENCH_SCENARIOS?.split(',').map((name) => name.trim());
const serverNodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
const selected = (scenario: Scenario) => !only || only.includes(scenario.name);
// The open loops' rate is a share of the mixed scenario's req/s in the same run: mixed runs first
// (SCENARIOS lists it before them) whenever one of them does.
const scenarios = SCENARIOS.filter(
  (scenario) =>
    selected(scenario) ||
    (scenario.name === CAPACITY_SCENARIO && SCENARIOS.some((s) => isMixedOpenLoop(s.name) && selected(s))),
);
const noisyNeighbour = !only || only.includes(NOISY_NEIGHBOUR_NAME);
/** The per-middleware breakdown (layer-worker.ts): in a whole run, or when BENCH_SCENARIOS names `layers`. */
const measureLayers = !only || only.includes('layers');

async function measure(
  server: RunningServer,
  which: Measurement['server'],
  scenario: Scenario,
  fixtureFile: string,
  workDir: string,
  ratePerUser?: number,
): Promise<Measurement> {
  const peakRss = followRss(server.pid);
  const shedBefore = await shedCount(server.url, METRICS_TOKEN);
  const result = await runLoad(
    { baseUrl: server.url, scenario, fixtureFile, seconds, warmupSeconds, ratePerUser },
    workDir,
  );
  const shedAfter = await shedCount(server.url, METRICS_TOKEN);
  // The warm-up's included: the server cannot tell it apart.
  const shedByServer = shedBefore === undefined || shedAfter === undefined ? undefined : shedAfter - shedBefore;
  const measurement = { server: which, scenario, result, peakRssMb: peakRss(), shedByServer };
  const offered = result.offeredPerSecond === undefined ? '' : `offered ${result.offeredPerSecond} req/s, `;
  console.log(
    `${which} ${scenario.name}: ${offered}${result.requestsPerSecond} req/s (${result.successesPerSecond} 2xx), p99 ${result.latencyMs.p99} ms, ${result.errors} errors, ${result.timeouts} timeouts, ${result.unavailable.count} 503s (p99 ${result.unavailable.latencyMs.p99} ms; shed by the server, warm-up included: ${shedByServer ?? 'n/a'}), ${measurement.peakRssMb} MB`,
  );
  return measurement;
}

/** An open loop's rate per user: its share of the mixed scenario's req/s, measured before it in this run. */
function openLoopRate(scenario: Scenario, measured: readonly Measurement[]): number | undefined {
  const share = scenario.offeredShareOfMixed;
  if (share === undefined) return undefined;
  const capacity = measured.find((m) => m.scenario.name === CAPACITY_SCENARIO);
  if (!capacity) throw new Error(`"${scenario.name}" runs after "${CAPACITY_SCENARIO}", which sets its rate`);
  return (share * capacity.result.requestsPerSecond) / MANY_USERS;
}

/**
 * The reader again, the neighbour starting once the reader's warm-up is over, so that the reader's
 * measured seconds include the neighbour's first burst (a fresh window of its rate limit).
 */
async function measureWithNeighbour(
  server: RunningServer,
  fixtureFile: string,
  workDir: string,
): Promise<Measurement[]> {
  const reader = measure(server, 'api', NOISY_NEIGHBOUR.reader, fixtureFile, workDir);
  // The load process starts in about a second; its warm-up follows.
  await new Promise((resolve) => setTimeout(resolve, (warmupSeconds + 1) * 1000));
  const neighbour = runLoad(
    { baseUrl: server.url, scenario: NOISY_NEIGHBOUR.neighbour, fixtureFile, seconds, warmupSeconds: 0 },
    workDir,
  ).then((result) => {
    console.log(`the neighbour: ${JSON.stringify(result.statuses)}`);
    return { server: 'api' as const, scenario: NOISY_NEIGHBOUR.neighbour, result, peakRssMb: 0 };
  });
  return Promise.all([reader, neighbour]);
}

async function main(workDir: string, databaseUrl: string): Promise<void> {
  const started = Date.now();
  const secret = randomBytes(32).toString('base64url');
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    BETTER_AUTH_SECRET: secret,
    JWT_ISSUER: BENCH_ISSUER,
    JWT_AUDIENCE: BENCH_AUDIENCE,
    DB_POOL_MAX: String(POOL_SIZE),
    // Required in production; the benchmark reads only the count of requests shed (shed-count.ts).
    METRICS_TOKEN,
  };
  const measurements: Measurement[] = [];

  // Compiled, without tsx, as production runs it (`make bench` builds it first: `make build`), with
  // the defaults production runs: LOG_LEVEL=info, its lines read through a pipe (startServer keeps
  // their tail), and the rate limits on, counting every request, raised so that one address and one
  // user on 64 connections are never throttled.
  const api = await startServer(
    'our server',
    OUR_SERVER,
    { ...env, ...LIMITS_RAISED, LOG_LEVEL: 'info', WEB_CONCURRENCY: String(workers) },
    { nodeArgs: serverNodeArgs, tsx: false },
  );
  const fixtureFile = path.join(workDir, 'fixture.json');
  const fixture = await (async () => {
    try {
      console.log(`seeding through the API at ${api.url}…`);
      const seeded = await seed(api.url, secret);
      await writeFile(fixtureFile, JSON.stringify(seeded));
      for (const scenario of scenarios)
        measurements.push(
          await measure(api, 'api', scenario, fixtureFile, workDir, openLoopRate(scenario, measurements)),
        );
      return seeded;
    } finally {
      await api.stop();
    }
  })();

  // What each middleware costs, in a process of its own while nothing else runs.
  const layerCosts = !measureLayers
    ? undefined
    : await measureLayerCosts(
        {
          env: { ...env, ...LIMITS_RAISED, LOG_LEVEL: 'info' },
          requestsPerScenario: LAYER_REQUESTS,
          warmupRequests: LAYER_WARMUP_REQUESTS,
        },
        workDir,
      );
  if (layerCosts) console.log(`µs per request, per middleware: ${JSON.stringify(layerCosts)}`);

  const offScenarios = scenarios.filter((scenario) => scenario.defaultsOff);
  if (offScenarios.length > 0) {
    // The same server with what the defaults add turned off, so that their price is a figure.
    const off = await startServer(
      'our server, limits and info logs off',
      OUR_SERVER,
      {
        ...env,
        ...LIMITS_RAISED,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_ADDRESS: '0',
        RATE_LIMIT_PER_USER: '0',
        RATE_LIMIT_IN_FLIGHT_PER_USER: '0',
        WEB_CONCURRENCY: String(workers),
      },
      { nodeArgs: serverNodeArgs, tsx: false },
    );
    try {
      for (const scenario of offScenarios)
        measurements.push(await measure(off, 'api-off', scenario, fixtureFile, workDir));
    } finally {
      await off.stop();
    }
  }

  if (noisyNeighbour) {
    // The same server with the per-user limits a deployment has, at their defaults. The
    // per-address limit is off: here both users come from 127.0.0.1, so its one counter would be
    // shared by the reader and the neighbour, which two real clients never share (BENCH_ADDRESS_LIMIT
    // sets it, to see that cost too).
    const limited = await startServer(
      'our server with limits',
      OUR_SERVER,
      {
        ...env,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_ADDRESS: process.env.BENCH_ADDRESS_LIMIT ?? '0',
        WEB_CONCURRENCY: String(workers),
      },
      { nodeArgs: serverNodeArgs, tsx: false },
    );
    try {
      console.log(`seeding the neighbour's ${NEIGHBOUR_TASKS} tasks…`);
      const neighbourFile = path.join(workDir, 'neighbour-fixture.json');
      const neighbour = await seedNeighbour(limited.url, databaseUrl, secret);
      await writeFile(neighbourFile, JSON.stringify({ ...fixture, neighbour }));
      measurements.push(await measure(limited, 'api', NOISY_NEIGHBOUR.alone, neighbourFile, workDir));
      measurements.push(...(await measureWithNeighbour(limited, neighbourFile, workDir)));
    } finally {
      await limited.stop();
    }
  }

  const floorScenarios = scenarios.filter((scenario) => scenario.onFloor);
  for (const [which, name, entry] of REFERENCES) {
    if (floorScenarios.length === 0) break;
    const reference = await startServer(name, path.join(import.meta.dirname, entry), env);
    try {
      for (const scenario of floorScenarios)
        measurements.push(await measure(reference, which, scenario, fixtureFile, workDir));
    } finally {
      await reference.stop();
    }
  }

  const report = {
    startedAt: new Date(started).toISOString(),
    totalSeconds: Math.round((Date.now() - started) / 1000),
    machine: await describeMachine(),
    settings: {
      seconds_per_scenario: seconds,
      warmup_seconds: warmupSeconds,
      closed_loop_connections: 64,
      WEB_CONCURRENCY: workers,
      DB_POOL_MAX: `${POOL_SIZE} per process`,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info (warn in the "limits and info logs off" rows)',
      rate_limits:
        'on, raised: RATE_LIMIT_PER_ADDRESS and RATE_LIMIT_PER_USER 1000000000, RATE_LIMIT_IN_FLIGHT_PER_USER 10000 (off in the "limits and info logs off" rows)',
    },
    measurements,
    targets: judgeTargets(measurements),
    layerCosts,
  };
  const written = await writeReport(RESULTS_DIR, report);
  console.log(`\n${renderMarkdown(report)}\nwritten to ${path.relative(ROOT, written)} and bench/results/latest.md`);
}

const workDir = await mkdtemp(path.join(os.tmpdir(), 'bench-'));
const database = await createDatabase();
let cleaned: Promise<void> | undefined;
/** Stops every child this run started and drops its database: on success, failure, signal or deadline. */
const cleanUp = () =>
  (cleaned ??= (async () => {
    await stopAllChildren();
    await dropDatabase(database.name).catch((error: Error) =>
      console.error(`could not drop database ${database.name}: ${error.message}`),
    );
    await rm(workDir, { recursive: true, force: true });
  })());
const abort = (reason: string) => {
  console.error(reason);
  void cleanUp().finally(() => process.exit(1));
};
process.once('SIGINT', () => abort('interrupted')).once('SIGTERM', () => abort('terminated'));
const deadline = setTimeout(
  () => abort(`the benchmark took longer than ${DEADLINE_MS / 60_000} minutes: stopped`),
  DEADLINE_MS,
);
try {
  await main(workDir, database.url);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  clearTimeout(deadline);
  await cleanUp();
}
