import type { Registry } from 'prom-client';
import type { OperationHandlers } from '../contract/operations.js';

/**
 * The metrics in the Prometheus text format; access is checked before (src/metrics/metrics-access.ts).
 * `collect` reads them: this process's registry by default, every worker's in a cluster.
 */
export function createMetricsHandlers(
  registry: Registry,
  collect = () => registry.metrics(),
): Pick<OperationHandlers, 'getMetrics'> {
  return {
    async getMetrics() {
      return { status: 200, body: await collect(), headers: { 'Content-Type': registry.contentType } };
    },
  };
}
