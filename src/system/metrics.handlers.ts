import type { Registry } from 'prom-client';
import type { OperationHandlers } from '../http/operations.js';

/** The metrics in the Prometheus text format; access is checked before (src/metrics/metrics-access.ts). */
export function createMetricsHandlers(registry: Registry): Pick<OperationHandlers, 'getMetrics'> {
  return {
    async getMetrics() {
      return { status: 200, body: await registry.metrics(), headers: { 'Content-Type': registry.contentType } };
    },
  };
}
