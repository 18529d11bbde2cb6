import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { serviceUnavailable } from '../contract/domain-error.js';

/**
 * /metrics across worker processes (WEB_CONCURRENCY > 1): the worker that receives the scrape
 * asks the primary, which gathers every worker's registry through prom-client's
 * AggregatorRegistry (counters and histograms summed), so a scrape sees the whole server,
 * whichever worker answers it.
 */

const COLLECT = 'todo-api:collect-metrics';
const COLLECTED = 'todo-api:collected-metrics';
/** A worker that does not answer within this time fails the scrape (prom-client waits 5 s). */
const COLLECT_TIMEOUT_MS = 6_000;

interface CollectMessage {
  readonly type: typeof COLLECT;
  readonly id: number;
}
interface CollectedMessage {
  readonly type: typeof COLLECTED;
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/** No partial sum: a scrape that misses a worker would show its counters going down. */
const metricsUnavailable = () =>
  serviceUnavailable('Not every worker reported its metrics in time; try again shortly.');

/** In the primary: answers the workers' requests for the metrics of all of them. */
export function relayClusterMetrics(logger: Logger): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: Partial<CollectMessage>) => {
    if (message?.type !== COLLECT || typeof message.id !== 'number') return;
    const id = message.id;
    aggregator.clusterMetrics().then(
      (text) => reply(worker, { type: COLLECTED, id, text }),
      (error: Error) => {
        logger.warn({ reason: error.message }, "a scrape could not gather every worker's metrics");
        reply(worker, { type: COLLECTED, id, error: error.message });
      },
    );
  });
}

function reply(worker: Worker, message: CollectedMessage): void {
  if (worker.isConnected()) worker.send(message);
}

/**
 * In a worker: offers `registry` to the primary's aggregation and returns how /metrics reads the
 * metrics of every worker.
 */
export function shareMetricsWithPrimary(registry: Registry): () => Promise<string> {
  new AggregatorRegistry(); // makes this worker answer the primary's requests for its metrics
  AggregatorRegistry.setRegistries([registry]);
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: Partial<CollectedMessage>) => {
    if (message?.type !== COLLECTED || typeof message.id !== 'number') return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.text !== undefined) waiting?.resolve(message.text);
    else waiting?.reject(metricsUnavailable());
  });

  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(metricsUnavailable());
      }, COLLECT_TIMEOUT_MS);
      pending.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      process.send!({ type: COLLECT, id } satisfies CollectMessage);
    });
}
