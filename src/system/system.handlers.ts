import type { Knex } from 'knex';
import type { OperationHandlers } from '../http/operations.js';
import { databaseUnavailable } from '../http/error-mapping.js';

/** How long readiness waits for the database before answering 503. */
const READINESS_TIMEOUT_MS = 2_000;

export function createSystemHandlers(db: Knex): Pick<OperationHandlers, 'getHealth' | 'getReadiness'> {
  return {
    async getHealth() {
      return { status: 200, body: { status: 'ok' } };
    },

    async getReadiness({ log }) {
      try {
        await db.raw('select 1').timeout(READINESS_TIMEOUT_MS);
      } catch (error) {
        log.warn({ err: error }, 'database not ready');
        throw databaseUnavailable();
      }
      return { status: 200, body: { status: 'ready' } };
    },
  };
}
