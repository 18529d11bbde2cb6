import type { Knex } from 'knex';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { registerPoolGauges } from './pool-gauges.js';

/** The label of a request that matches no operation of the spec (an unknown path, a CORS preflight). */
export const UNMATCHED_OPERATION = 'unmatched';

/** One answered request: its operationId (never the raw path, so the label has as many values as the spec has operations), method and status. */
export interface RequestLabels {
  readonly operation: string;
  readonly method: string;
  readonly status: string;
}

export interface Metrics {
  /** This app's registry: not prom-client's global one, so that several apps (tests) never share series. */
  readonly registry: Registry;
  /** Counts and times one answered request. */
  observeRequest(labels: RequestLabels, seconds: number): void;
  /** Counts a transaction run again after the server rolled it back (`state`: its SQLSTATE, 40P01 or 40001). */
  observeTransactionRetry(state: string): void;
  /** Counts a request refused with 503 because the process was overloaded (src/http/load-shedding.ts). */
  observeShed(): void;
}

const LABELS = ['operation', 'method', 'status'] as const;

export function createMetrics({ db }: { db: Knex }): Metrics {
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
  const retries = new Counter({
    name: 'db_transaction_retries_total',
    help: 'Transactions run again after the database rolled them back for a deadlock (40P01) or a serialization failure (40001), by SQLSTATE.',
    labelNames: ['state'],
    registers: [registry],
  });
  const shed = new Counter({
    name: 'http_requests_shed_total',
    help: 'Requests refused with 503 on arrival because the process was overloaded (LOAD_SHED_WAIT_MS).',
    registers: [registry],
  });
  return {
    registry,
    observeRequest(labels, seconds) {
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    observeTransactionRetry(state) {
      retries.inc({ state });
    },
    observeShed() {
      shed.inc();
    },
  };
}
