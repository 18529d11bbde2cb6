/**
 * The load generator, run as its own process (`node --import tsx bench/load-worker.ts job.json`) so
 * that it never shares an event loop with the server it measures. Prints one LoadResult as JSON.
 */
import { readFile } from 'node:fs/promises';
import { runClosedLoop } from './closed-loop.js';
import { runOpenLoop } from './open-loop.js';
import { runRetryingLoop } from './retrying-loop.js';
import {
  isMixedOpenLoop,
  mixedRequest,
  NOISY_NEIGHBOUR,
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
  /** Open loop of the mixed requests: each user's requests per second. */
  readonly ratePerUser?: number;
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
  if (isMixedOpenLoop(scenario.name)) {
    if (job.ratePerUser === undefined) throw new Error(`"${scenario.name}" needs its rate: the mixed scenario's`);
    return runOpenLoop({
      baseUrl,
      users: fixture.users,
      ratePerUser: job.ratePerUser,
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
