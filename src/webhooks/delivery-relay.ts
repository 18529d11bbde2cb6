import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { BackgroundJob, JobQueue } from '../jobs/background-job.js';
import { attemptJob, DELIVERY_QUEUE, type AttemptTiming } from './delivery-job.js';
import { anyUnqueued, takeUnqueued } from './delivery-runs.store.js';

/** Deliveries taken per transaction. */
const BATCH = 500;
/**
 * Announcements are gathered this long into one pass: a busy process probes ten times a second,
 * not once a write, and a webhook's first attempt waits a tenth of a second at most for it.
 */
const GATHER_MS = 100;

/**
 * Sends the job of each pending delivery that has none yet (made by the events trigger, or sent
 * again by retryWebhookDelivery): of these users, or of everyone. Each batch marks its deliveries
 * queued and inserts their jobs in one transaction, so a delivery gets its job exactly once, even
 * with several relays at once. Returns how many it sent.
 */
export async function relayDeliveries(
  db: Knex,
  queue: JobQueue,
  timing: AttemptTiming,
  users?: readonly string[],
): Promise<number> {
  // Most writes make no delivery (their user has no webhook): a read, not a transaction, says so.
  if (!(await anyUnqueued(db, users))) return 0;
  let relayed = 0;
  for (;;) {
    const batch = await db.transaction(async (trx) => {
      const taken = await takeUnqueued(trx, users, BATCH);
      if (taken.length > 0) {
        const jobs = taken.map((delivery) =>
          attemptJob(delivery.id, delivery.attempts + 1, delivery.next_attempt_at, timing),
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
  /** After a commit of the user's in this process: their new deliveries get their jobs soon. */
  wake(userId: string): void;
  /** Ends the pass under way, if any; no other starts. */
  stop(): Promise<void>;
}

/**
 * Relays as the event signal says a user's writes committed in this process (the process that
 * committed a write relays its deliveries). Announcements are gathered for a moment, and
 * those that come while a pass runs into the next one. A lost announcement delays a delivery until
 * the minutely sweep.
 */
export function deliveryRelay(db: Knex, queue: JobQueue, timing: AttemptTiming, logger: Logger): DeliveryRelay {
  const waiting = new Set<string>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const pass = async (): Promise<void> => {
    while (!stopped && waiting.size > 0) {
      const users = [...waiting];
      waiting.clear();
      try {
        await relayDeliveries(db, queue, timing, users);
      } catch (error) {
        logger.warn({ err: error }, 'could not send the jobs of new webhook deliveries (the sweep sends them)');
      }
    }
  };
  const schedule = (): void => {
    if (stopped || running !== undefined || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = pass().finally(() => {
        running = undefined;
        if (waiting.size > 0) schedule();
      });
    }, GATHER_MS);
    timer.unref();
  };

  return {
    wake(userId) {
      waiting.add(userId);
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** The sweep: every minute, the deliveries whose relay was missed (a process that died after its commit, a lost signal). */
export function deliveryRelayJob(db: Knex, timing: AttemptTiming): BackgroundJob {
  return {
    name: 'webhook-relay',
    schedule: '* * * * *',
    queue: { retryLimit: 0, expireInSeconds: 5 * 60 },
    run: async (_jobs, queue) => {
      await relayDeliveries(db, queue, timing);
    },
  };
}
