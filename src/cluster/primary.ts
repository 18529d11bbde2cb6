import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { migratePostgres } from '../db/database.js';
import { knexLog } from '../logger.js';
import { relayClusterMetrics } from '../metrics/cluster-metrics.js';
import { relayCostlySlots } from './costly-slots.js';

/** More unexpected worker exits than this within CRASH_WINDOW_MS: the server stops (a crash loop). */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;
/** Beyond the workers' own shutdown bound, how long the primary waits before it kills them. */
const KILL_GRACE_MS = 5_000;

/**
 * What a worker tells its primary once it serves. Not the `listening` event: a worker binds its
 * port before it opens the database, and one that cannot open it has not started (no crash to retry).
 */
export const WORKER_SERVING = 'todo-api:serving';

/**
 * WEB_CONCURRENCY > 1: this process applies the migrations once, then runs that many workers,
 * each a whole server on the same port (Node's cluster shares the listening socket). It replaces a
 * worker that dies, stops when workers keep dying or one cannot start, and passes SIGTERM/SIGINT
 * on, exiting once every worker has finished its in-flight requests (1 if any could not).
 */
export async function runPrimary(config: Config, logger: Logger): Promise<void> {
  logger.info({ workers: config.webConcurrency }, 'applying migrations before starting the workers');
  await migratePostgres(config.databaseUrl!, config.dbTimeouts, knexLog(logger));
  relayClusterMetrics(logger);
  relayCostlySlots();

  const running = new Set<Worker>();
  const crashes: number[] = [];
  let stopping = false;
  let exitCode = 0;

  const start = () => {
    const worker = cluster.fork();
    running.add(worker);
    let serving = false;
    worker.on('message', (message) => (serving ||= message === WORKER_SERVING));
    worker.once('exit', (code, signal) => {
      running.delete(worker);
      if (stopping) {
        if (code !== 0) exitCode = 1;
        if (running.size === 0) finish();
        return;
      }
      const failure = { worker_pid: worker.process.pid, code, signal };
      if (!serving) {
        // It could not start (its own log says why); another would fail the same way.
        logger.fatal(failure, 'a worker could not start: stopping');
        return stop('worker start-up failure', 1);
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes[0]! < now - CRASH_WINDOW_MS) crashes.shift();
      if (crashes.length > MAX_CRASHES) {
        logger.fatal(
          { ...failure, crashes: crashes.length, window_ms: CRASH_WINDOW_MS },
          'workers keep exiting: stopping',
        );
        return stop('crash loop', 1);
      }
      logger.error(failure, 'a worker exited unexpectedly: starting another');
      start();
    });
  };

  const finish = () => {
    logger.info({ exit_code: exitCode }, 'every worker has stopped');
    logger.flush();
    process.exit(exitCode);
  };

  const stop = (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.info({ reason, workers: running.size }, 'stopping the workers');
    if (running.size === 0) return finish();
    for (const worker of running) worker.process.kill('SIGTERM');
    setTimeout(() => {
      logger.error('workers still running after the shutdown timeout: killing them');
      for (const worker of running) worker.process.kill('SIGKILL');
    }, config.shutdownTimeoutMs + KILL_GRACE_MS).unref();
  };

  process.on('SIGTERM', () => stop('SIGTERM')).on('SIGINT', () => stop('SIGINT'));
  for (let index = 0; index < config.webConcurrency; index++) start();
}
