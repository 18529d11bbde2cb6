/**
 * The load generator, run as its own process (`node --import tsx bench/load-worker.ts job.json`) so
 * that it never shares an event loop with the server it measures. Prints one LoadResult as JSON.
 */
import { readFile } from 'node:fs/promises';
import { runClosedLoop } from './closed-loop.js';
import { runOpenLoop } from './open-loop.js';
import { runRetryingLoop } from './retrying-loop.js';
import {
  mixedRequest,
  NOISY_NEIGHBOUR,
  OPEN_LOOP_RATE_PER_USER,
  READER_RATE,
  readerRequest,
  requestSource,
  type Fixture,
  type Scenario,
} from './scenarios.js';
import type { LoadResult } from './stats.js';

export interface LoadJob {
  readonly baseUrl: string;
  readonly scenario: Scenario;
  readonly fixtureFile: string;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

async function runFor(job: LoadJob, fixture: Fixture, seconds: number): Promise<LoadResult> {
  const { scenario, baseUrl } = job;
  if (scenario.name === NOISY_NEIGHBOUR.alone.name || scenario.name === NOISY_NEIGHBOUR.reader.name) {
    return runOpenLoop({
      baseUrl,
      users: [fixture.listUser],
      ratePerUser: READER_RATE,
      seconds,
      expected: scenario.expected,
      next: readerRequest,
    });
  }
  if (scenario.name === 'open loop') {
    return runOpenLoop({
      baseUrl,
      users: fixture.users,
      ratePerUser: OPEN_LOOP_RATE_PER_USER,
      seconds,
      expected: scenario.expected,
      next: mixedRequest,
    });
  }
  const closedLoop = {
    baseUrl,
    connections: scenario.connections,
    seconds,
    expected: scenario.expected,
    next: requestSource(scenario.name, fixture),
  };
  return scenario.name === NOISY_NEIGHBOUR.neighbour.name ? runRetryingLoop(closedLoop) : runClosedLoop(closedLoop);
}

const job = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as LoadJob;
const fixture = JSON.parse(await readFile(job.fixtureFile, 'utf8')) as Fixture;
// The warm-up opens the connections and lets V8 optimise the hot paths; its figures are dropped.
await runFor(job, fixture, job.warmupSeconds);
process.stdout.write(JSON.stringify(await runFor(job, fixture, job.seconds)));
