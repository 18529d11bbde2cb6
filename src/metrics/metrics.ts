import type { Knex } from 'knex';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { SpecRoute } from '../http/spec.js';
import { operationLabeller } from './operation-label.js';
import { registerPoolGauges } from './pool-gauges.js';

export interface Metrics {
  /** This app's registry: not prom-client's global one, so that several apps (tests) never share series. */
  readonly registry: Registry;
  /** Counts and times every response; mounted first, so that the time covers the whole pipeline. */
  readonly recordRequests: RequestHandler;
}

const LABELS = ['operation', 'method', 'status'] as const;

export function createMetrics({ routes, db }: { routes: readonly SpecRoute[]; db: Knex }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerPoolGauges(registry, db);
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests answered, by operation and status.',
    labelNames: LABELS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to sending the end of its response, by operation and status.',
    labelNames: LABELS,
    registers: [registry],
  });
  const operationOf = operationLabeller(routes);

  const recordRequests: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    // Read now: later middleware rewrites the method (HEAD is answered as GET).
    const method = req.method;
    const operation = operationOf(method, req.path);
    // Only answered requests are counted: one whose client went away has no status to count under.
    res.once('finish', () => {
      const labels = { operation, method, status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
  return { registry, recordRequests };
}
