import { expect } from 'chai';
import { createLogger } from '../../src/logger.js';
import { startPeriodicJobs, type PeriodicJob } from '../../src/lifecycle/periodic-jobs.js';

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    { logLevel: 'info', logFormat: 'json' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

/** A job that counts its passes and resolves `reached` at the n-th; `fail` makes a pass throw. */
function countingJob(name: string, n: number, fail: (pass: number) => boolean = () => false) {
  let passes = 0;
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const job: PeriodicJob = {
    name,
    run: async () => {
      passes++;
      if (passes === n) reach();
      if (fail(passes)) throw new Error(`pass ${passes} failed`);
    },
  };
  return { job, reached, passes: () => passes };
}

describe('periodic jobs', () => {
  it('runs each job shortly after the start and then again every interval', async () => {
    const { logger } = recordingLogger();
    const purge = countingJob('purge', 3);
    const prune = countingJob('prune', 3);
    const runner = startPeriodicJobs([purge.job, prune.job], { intervalMs: 5, firstDelayMs: 1 }, logger);
    await Promise.all([purge.reached, prune.reached]);
    await runner.stop();
  });

  it('logs a failed pass at warn, naming the job, and runs the job again at its next turn', async () => {
    const { logger, lines } = recordingLogger();
    const flaky = countingJob('flaky', 3, (pass) => pass === 1);
    const runner = startPeriodicJobs([flaky.job], { intervalMs: 1, firstDelayMs: 1 }, logger);
    await flaky.reached;
    await runner.stop();
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings).to.have.lengthOf(1);
    expect(warnings[0]).to.include({ job: 'flaky', msg: 'periodic job flaky failed' });
  });

  it('starts no pass once stopped, waits for the one under way, and tells it to stop', async () => {
    const { logger } = recordingLogger();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let signalled: AbortSignal | undefined;
    let passes = 0;
    let finished = false;
    const job: PeriodicJob = {
      name: 'slow',
      run: async (signal) => {
        passes++;
        signalled = signal;
        started();
        await released;
        finished = true;
      },
    };
    const runner = startPeriodicJobs([job], { intervalMs: 1, firstDelayMs: 1 }, logger);
    await running;
    const stopped = runner.stop();
    expect(signalled?.aborted).to.equal(true);
    release();
    await stopped;
    expect(finished).to.equal(true);
    // Given every chance to run again (a turn is 1 ms): it does not.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(passes).to.equal(1);
  });

  it('never runs a job stopped before its first turn', async () => {
    const { logger } = recordingLogger();
    const never = countingJob('never', 1);
    const runner = startPeriodicJobs([never.job], { intervalMs: 1, firstDelayMs: 1 }, logger);
    await runner.stop();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(never.passes()).to.equal(0);
  });
});
