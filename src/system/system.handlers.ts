import type { Knex } from 'knex';
import type { OperationHandlers } from '../contract/operations.js';
import { databaseUnavailable } from '../contract/domain-error.js';
import { withTimeout } from '../lifecycle/with-timeout.js';

/**
 * How long readiness waits for the database before answering 503: the whole probe, waiting for a
 * pooled connection included (a saturated pool is not ready for more traffic either).
 */
const READINESS_TIMEOUT_MS = 2_000;

export function createSystemHandlers(db: Knex): Pick<OperationHandlers, 'getHealth' | 'getReadiness'> {
  return {
    async getHealth() {
      return { status: 200, body: { status: 'ok' } };
    },

    async getReadiness(input) {
      try {
        await withTimeout(Promise.resolve(db.raw('select 1')), READINESS_TIMEOUT_MS, 'the database');
      } catch (error) {
        input.log.warn({ err: error }, 'database not ready');
        throw databaseUnavailable();
      }
      return { status: 200, body: { status: 'ready' } };
    },
  };
}
