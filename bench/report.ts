import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LayerCosts } from './layer-worker.js';
import type { Machine } from './machine.js';
import { isMixedOpenLoop, NOISY_NEIGHBOUR, type Scenario } from './scenarios.js';
import type { LoadResult } from './stats.js';

/**
 * Which server: ours with the defaults production runs (api), ours with the rate limits off and
 * LOG_LEVEL=warn (api-off), the node:http floor (floor), the Express floor (express).
 */
export type ServerKind = 'api' | 'api-off' | 'floor' | 'express';

/** One scenario against one server. */
export interface Measurement {
  readonly server: ServerKind;
  readonly scenario: Scenario;
  readonly result: LoadResult;
  readonly peakRssMb: number;
  /** Ours: the requests it refused for overload meanwhile (http_requests_shed_total), the warm-up's included. */
  readonly shedByServer?: number;
}

export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
}

export interface Report {
  readonly startedAt: string;
  readonly totalSeconds: number;
  readonly machine: Machine;
  readonly settings: Record<string, string | number>;
  readonly measurements: readonly Measurement[];
  readonly targets: readonly Target[];
  /** µs per request in each middleware (layer-worker.ts), when measured. */
  readonly layerCosts?: LayerCosts;
}

/** The issue's targets: ratios of our req/s to the references' on the same scenario. */
const MIN_EXPRESS_RATIO_NO_DATABASE = 0.7;
const MIN_EXPRESS_RATIO = 0.8;
const MIN_FLOOR_RATIO = 0.5;
/** What the default rate limits and info logging may cost together, as a share of throughput. */
const MAX_DEFAULTS_COST = 0.1;
/** The open loop at 80 % of the mixed capacity: every answer within this, at the 99th percentile. */
const MAX_OPEN_LOOP_P99_MS = 100;
/** The open loop at 120 %: the excess refused (503) within this, at the 99th percentile. */
const MAX_SHED_P99_MS = 1000;
const MAX_RSS_MB = 150;
/** The reader's p95 with the noisy neighbour, at most this many times its p95 alone. */
const MAX_NEIGHBOUR_SLOWDOWN = 2;
const NO_DATABASE = ['health', 'unauthenticated'];
const DATABASE = ['list', 'get', 'create'];

const LABELS: Record<ServerKind, string> = {
  api: '',
  'api-off': 'limits and info logs off: ',
  floor: 'node:http floor: ',
  express: 'Express floor: ',
};

/** `ours` req/s over the `reference` server's for the same scenario in the same run, when it ran it. */
export function ratioTo(
  measurements: readonly Measurement[],
  ours: Measurement,
  reference: ServerKind,
): number | undefined {
  const other = measurements.find((m) => m.server === reference && m.scenario.name === ours.scenario.name);
  return other ? Math.round((ours.result.requestsPerSecond / other.result.requestsPerSecond) * 100) / 100 : undefined;
}

/** A target on one ratio for each of `names` that ran: each at least `min`. */
function ratioTarget(
  measurements: readonly Measurement[],
  names: readonly string[],
  reference: ServerKind,
  min: number,
  label: string,
): Target {
  const ratios = measurements
    .filter((m) => m.server === 'api' && names.includes(m.scenario.name))
    .flatMap((m) => {
      const ratio = ratioTo(measurements, m, reference);
      return ratio === undefined ? [] : [{ name: m.scenario.name, ratio }];
    });
  return {
    target: `${names.join(', ')} ≥ ${min}× ${label}`,
    measured: ratios.length > 0 ? ratios.map((r) => `${r.name} ${r.ratio}×`).join(', ') : 'not run',
    pass: ratios.length > 0 && ratios.every((r) => r.ratio >= min),
  };
}

/** Throughput lost to the defaults (limits on, info logs) against the same server with both off. */
function defaultsCostTarget(measurements: readonly Measurement[]): Target {
  const costs = measurements
    .filter((m) => m.server === 'api')
    .flatMap((m) => {
      const ratio = ratioTo(measurements, m, 'api-off');
      return ratio === undefined ? [] : [{ name: m.scenario.name, cost: Math.round((1 - ratio) * 100) / 100 }];
    });
  return {
    target: `the default rate limits and info logging cost ≤ ${MAX_DEFAULTS_COST * 100} % of throughput`,
    measured: costs.length > 0 ? costs.map((c) => `${c.name} ${Math.round(c.cost * 100)} %`).join(', ') : 'not run',
    pass: costs.length > 0 && costs.every((c) => c.cost <= MAX_DEFAULTS_COST),
  };
}

/** The issue's targets, judged on this run's measurements. */
export function judgeTargets(measurements: readonly Measurement[]): Target[] {
  const api = measurements.filter((m) => m.server === 'api');
  // The closed loop: the open loops have targets of their own (the 120 % one expects 503s).
  const wide = api.filter((m) => m.scenario.connections >= 1000 && m.scenario.mode === 'closed');
  const underCapacity = api.find((m) => m.scenario.name === 'open loop 80 %');
  const overCapacity = api.find((m) => m.scenario.name === 'open loop 120 %');
  // Ours only: the floor is the reference, not the server under test.
  const peaks = api.map((m) => m.peakRssMb);
  const references = measurements.filter((m) => m.server === 'floor' || m.server === 'express');
  return [
    ...noisyNeighbourTarget(api),
    ratioTarget(measurements, NO_DATABASE, 'express', MIN_EXPRESS_RATIO_NO_DATABASE, 'the Express floor'),
    ratioTarget(measurements, DATABASE, 'express', MIN_EXPRESS_RATIO, 'the Express floor'),
    ratioTarget(measurements, DATABASE, 'floor', MIN_FLOOR_RATIO, 'the node:http floor'),
    defaultsCostTarget(measurements),
    {
      target: '1000 connections (closed loop) held with zero errors and zero timeouts',
      measured:
        wide.length > 0
          ? wide
              .map(
                (m) =>
                  `${m.scenario.name}: ${m.result.errors} errors (${m.shedByServer ?? 'n/a'} shed for overload), ${m.result.timeouts} timeouts`,
              )
              .join('; ')
          : 'not run',
      pass: wide.length > 0 && wide.every((m) => m.result.errors === 0 && m.result.timeouts === 0),
    },
    {
      target: `open loop at 80 % of the mixed req/s: p99 < ${MAX_OPEN_LOOP_P99_MS} ms, no error, no timeout`,
      measured: underCapacity
        ? `p99 ${underCapacity.result.latencyMs.p99} ms at ${underCapacity.result.offeredPerSecond} req/s offered; ${underCapacity.result.errors} errors, ${underCapacity.result.timeouts} timeouts`
        : 'not run',
      pass:
        underCapacity !== undefined &&
        underCapacity.result.latencyMs.p99 < MAX_OPEN_LOOP_P99_MS &&
        underCapacity.result.errors === 0 &&
        underCapacity.result.timeouts === 0,
    },
    {
      target: `open loop at 120 %: the excess refused at once, every non-2xx a 503 with Retry-After, their p99 < ${MAX_SHED_P99_MS} ms, no timeout`,
      measured: overCapacity
        ? `${overCapacity.result.unavailable.count} 503s, p99 ${overCapacity.result.unavailable.latencyMs.p99} ms; ${overCapacity.result.successesPerSecond} 2xx/s of ${overCapacity.result.offeredPerSecond} offered; ${overCapacity.result.errors} errors, ${overCapacity.result.timeouts} timeouts`
        : 'not run',
      // Errors count any status but 2xx and 503, and a 503 without Retry-After (bench/stats.ts).
      pass:
        overCapacity !== undefined &&
        overCapacity.result.errors === 0 &&
        overCapacity.result.timeouts === 0 &&
        !(overCapacity.result.unavailable.latencyMs.p99 >= MAX_SHED_P99_MS),
    },
    {
      target: `at most ${MAX_RSS_MB} MB RSS per server process`,
      measured: `peak ${Math.max(...peaks)} MB (ours, largest process), ${Math.max(0, ...references.map((m) => m.peakRssMb))} MB (references)`,
      pass: Math.max(...peaks) <= MAX_RSS_MB,
    },
  ];
}

/** The reader's p95 with the neighbour against alone, and no 503 for it; none when the scenario did not run. */
function noisyNeighbourTarget(api: readonly Measurement[]): Target[] {
  const alone = api.find((m) => m.scenario.name === NOISY_NEIGHBOUR.alone.name);
  const reader = api.find((m) => m.scenario.name === NOISY_NEIGHBOUR.reader.name);
  if (!alone || !reader) return [];
  const ratio = Math.round((reader.result.latencyMs.p95 / alone.result.latencyMs.p95) * 100) / 100;
  const unavailable = reader.result.statuses['503'] ?? 0;
  return [
    {
      target: `noisy neighbour: the reader's p95 with the neighbour ≤ ${MAX_NEIGHBOUR_SLOWDOWN}× alone, no 503 for the reader`,
      measured: `p95 ${reader.result.latencyMs.p95} ms with, ${alone.result.latencyMs.p95} ms alone (${ratio}×); ${unavailable} 503s, ${reader.result.errors} errors`,
      pass: ratio <= MAX_NEIGHBOUR_SLOWDOWN && unavailable === 0 && reader.result.errors === 0,
    },
  ];
}

export function renderMarkdown(report: Report): string {
  const { machine, measurements } = report;
  const rows = measurements.map((m) => {
    const { result } = m;
    const ours = m.server === 'api' || m.server === 'api-off';
    const ratio = (reference: ServerKind) => {
      const value = ours ? ratioTo(measurements, m, reference) : undefined;
      return value === undefined ? '' : `${value}×`;
    };
    return [
      `${LABELS[m.server]}${m.scenario.name}`,
      m.scenario.connections,
      result.requestsPerSecond,
      result.latencyMs.p50,
      result.latencyMs.p95,
      result.latencyMs.p99,
      result.errors,
      result.timeouts,
      m.peakRssMb,
      ratio('floor'),
      ratio('express'),
    ];
  });
  const table = (header: string[], body: (string | number)[][]) =>
    [
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...body.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n');
  return `# Benchmark, ${report.startedAt}

${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB RAM, ${machine.os}; Node ${machine.node}; PostgreSQL ${machine.postgres}.
Server, PostgreSQL and load generator share these cores; the load generator is a separate process on loopback.
Settings: ${Object.entries(report.settings)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ')}.
Our server runs with the defaults production runs: the rate limits on and counting (per address, per user, in flight), raised so that the benchmark's load (all from 127.0.0.1, list, get and create from one user on 64 connections) is never throttled, and LOG_LEVEL=info, its lines read through a pipe. The "limits and info logs off" rows are the same server with the rate limits off and LOG_LEVEL=warn: the difference is what those defaults cost. The noisy-neighbour scenario runs on a server of its own with the per-user limits at their defaults (600 per minute, a search counting 10 and a bulk request 1 per action; 4 requests in flight per user and process) and the per-address limit off (both users come from 127.0.0.1; see bench/run.ts).
The whole run took ${report.totalSeconds} s.

${table(['scenario', 'connections', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'timeouts', 'peak RSS MB per process', 'vs floor', 'vs Express'], rows)}

- errors: responses with a status the scenario does not expect (the unauthenticated scenario expects 401, the open loop at 120 % 2xx or 503, the others 2xx), a 503 without \`Retry-After\`, plus connection errors; timeouts: no response within 10 s.
- node:http floor: \`bench/floor-server.ts\`, bare node:http + pg; Express floor: \`bench/express-floor-server.ts\`, bare Express 5 (one route each, express.json()) + pg; both run the same SQL and token check (\`bench/floor-tasks.ts\`). "vs floor" and "vs Express" are our req/s over theirs in this run.
- open loop: latency counted from each request's scheduled send time, so that queueing is not hidden.
${openLoopSection(measurements)}
## Targets

${table(
  ['target', 'measured', 'result'],
  report.targets.map((t) => [t.target, t.measured, t.pass ? 'pass' : '**FAIL**']),
)}

${report.layerCosts ? renderLayerCosts(report.layerCosts, table) : ''}## Scenarios

${measurements
  .filter((m) => m.server === 'api')
  .map((m) => `- **${m.scenario.name}**: ${m.scenario.description}; statuses ${JSON.stringify(m.result.statuses)}`)
  .join('\n')}
`;
}

/**
 * Where a request's time goes in our server: one row per middleware in pipeline order, one column
 * per scenario, in µs per request (requests one at a time, so a layer's database round trips count
 * in its time).
 */
function renderLayerCosts(costs: LayerCosts, table: (header: string[], body: (string | number)[][]) => string): string {
  const scenarios = Object.keys(costs);
  // Pipeline order: each part after the one before it in the first scenario that has it.
  const parts: string[] = [];
  for (const scenario of scenarios)
    Object.keys(costs[scenario]!.parts).forEach((part, i, order) => {
      if (!parts.includes(part)) parts.splice(i === 0 ? 0 : parts.indexOf(order[i - 1]!) + 1, 0, part);
    });
  const rows = parts.map((part) => [part, ...scenarios.map((scenario) => costs[scenario]!.parts[part] ?? '')]);
  rows.push(['**total**', ...scenarios.map((scenario) => `**${costs[scenario]!.total}**`)]);
  return `## Where the time goes: µs per request in each middleware

Our server in one process (\`bench/layer-worker.ts\`), with the defaults production runs, requests sent one at a time over one connection: a middleware's time runs from its start to the start of the next one (the router's \`express.router.request\` diagnostics channel), the last one's until the answer is ended, so its database round trips count in it. Validator: express-openapi-validator's middlewares together. The total runs from the server's \`request\` event to the end of the \`finish\` listeners; what is not in a row is Node's own HTTP work. Means over each scenario's requests; the machine's other work shows in them, so read them as proportions.

${table(['middleware', ...scenarios], rows)}
`;
}

/** The open loops: what they offered, what got done, and how the excess was refused. */
function openLoopSection(measurements: readonly Measurement[]): string {
  const open = measurements.filter((m) => m.server === 'api' && isMixedOpenLoop(m.scenario.name));
  if (open.length === 0) return '';
  const rows = open.map(({ scenario, result, shedByServer }) =>
    [
      scenario.name,
      result.offeredPerSecond ?? '',
      result.successesPerSecond,
      result.latencyMs.p50,
      result.latencyMs.p95,
      result.latencyMs.p99,
      result.unavailable.count,
      result.unavailable.latencyMs.p99,
      shedByServer ?? '',
      result.errors,
      result.timeouts,
    ].join(' | '),
  );
  return `
## Open loop

Offered as a share of the mixed scenario's req/s in this run; latencies of every answer, from its scheduled send time. "Shed" is the server's own count of requests it refused for overload (\`http_requests_shed_total\`, the warm-up's included): the other 503s are requests that waited past \`DB_ACQUIRE_TIMEOUT_MS\` for a database connection.

| scenario | offered req/s | 2xx/s | p50 ms | p95 ms | p99 ms | 503s | 503 p99 ms | shed | errors | timeouts |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.map((row) => `| ${row} |`).join('\n')}
`;
}

/** Writes `<stamp>.json` and `<stamp>.md` into `dir`, and the same as `latest.json` and `latest.md`. */
export async function writeReport(dir: string, report: Report): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const markdown = renderMarkdown(report);
  for (const name of [stamp, 'latest']) {
    await writeFile(path.join(dir, `${name}.json`), json);
    await writeFile(path.join(dir, `${name}.md`), markdown);
  }
  return path.join(dir, `${stamp}.md`);
}
