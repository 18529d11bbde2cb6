import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { BackgroundJob, JobQueue } from '../jobs/background-job.js';
import { attemptJob, DELIVERY_QUEUE } from './delivery-job.js';
import { takeUnqueued } from './delivery-runs.store.js';

/** Deliveries taken per transaction. */
const BATCH = 500;

/**
 * Sends the job of each pending delivery that has none yet (made by the events trigger, or sent
 * again by retryWebhookDelivery): of these users, or of everyone. Each batch marks its deliveries
 * queued and inserts their jobs in one transaction, so a delivery gets its job exactly once, even
 * with several relays at once. Returns how many it sent.
 */
export async function relayDeliveries(
  db: Knex,
  queue: JobQueue,
  timeoutMs: number,
  users?: readonly string[],
): Promise<number> {
  let relayed = 0;
  for (;;) {
    const batch = await db.transaction(async (trx) => {
      const taken = await takeUnqueued(trx, users, BATCH);
      if (taken.length > 0) {
        const jobs = taken.map((delivery) =>
          attemptJob(delivery.id, delivery.attempts + 1, delivery.next_attempt_at, timeoutMs),
        );
        await queue.insert(DELIVERY_QUEUE, jobs, trx);
      }
      return taken.length;
    });
    relayed += batch;
    if (batch < BATCH) break;
  }
  if (relayed > 0) queue.wake(DELIVERY_QUEUE);
  return relayed;
}

export interface DeliveryRelay {
  /** After a commit of the user's (undefined: of anyone's): their new deliveries get their jobs soon. */
  wake(userId: string | undefined): void;
  /** Ends the pass under way, if any; no other starts. */
  stop(): Promise<void>;
}

/**
 * Relays as the event signal says a user's writes committed: in this process after its own writes,
 * in every process after any (LISTEN/NOTIFY, Redis). Announcements that come while a pass runs are
 * gathered into the next one. A lost announcement delays a delivery until the minutely sweep.
 */
export function deliveryRelay(db: Knex, queue: JobQueue, timeoutMs: number, logger: Logger): DeliveryRelay {
  const waiting = new Set<string>();
  let everyone = false;
  let stopped = false;
  let running: Promise<void> | undefined;

  const pass = async (): Promise<void> => {
    while (!stopped && (everyone || waiting.size > 0)) {
      const users = everyone ? undefined : [...waiting];
      everyone = false;
      waiting.clear();
      try {
        await relayDeliveries(db, queue, timeoutMs, users);
      } catch (error) {
        logger.warn({ err: error }, 'could not send the jobs of new webhook deliveries (the sweep sends them)');
      }
    }
    running = undefined;
  };

  return {
    wake(userId) {
      if (stopped) return;
      if (userId === undefined) everyone = true;
      else waiting.add(userId);
      running ??= pass();
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/** The sweep: every minute, the deliveries whose relay was missed (a process that died after its commit, a lost signal). */
export function deliveryRelayJob(db: Knex, timeoutMs: number): BackgroundJob {
  return {
    name: 'webhook-relay',
    schedule: '* * * * *',
    queue: { retryLimit: 0, expireInSeconds: 5 * 60 },
    run: async (_jobs, queue) => {
      await relayDeliveries(db, queue, timeoutMs);
    },
  };
}
