import type { Knex } from 'knex';
import type { JobInsert, QueueOptions } from 'pg-boss';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { WebhookConfig } from '../config.js';
import { toEvent } from '../events/event-representation.js';
import type { EventSignal } from '../events/event-signal.js';
import { recordEvent } from '../events/events.store.js';
import type { BackgroundJob, JobQueue } from '../jobs/background-job.js';
import * as runs from './delivery-runs.store.js';
import type { AttemptTarget } from './delivery-runs.store.js';
import { toWebhook } from './webhook-representation.js';
import type { AttemptOutcome, WebhookSender } from './webhook-sender.js';
import { failPendingDeliveries, updateWebhook } from './webhooks.store.js';

/** The queue of delivery attempts: one job per attempt. */
export const DELIVERY_QUEUE = 'webhook-delivery';

/** A job's data: the delivery, and which of its attempts the job makes (a job run again for the same attempt is recognised). */
export interface AttemptJobData {
  readonly delivery: number;
  readonly attempt: number;
}

/** What the attempts' jobs are timed by: WEBHOOK_TIMEOUT_MS, JOBS_HEARTBEAT_SECONDS. */
export interface AttemptTiming {
  readonly timeoutMs: number;
  readonly heartbeatSeconds: number;
}

/** What an attempt's run may take beyond WEBHOOK_TIMEOUT_MS (its reads and its record, on a slow database). */
const EXPIRY_MARGIN_SECONDS = 60;

/**
 * The options of every attempt's job, on the job itself (not only on the queue, which keeps the
 * options it was first made with). A failed attempt is no failed job: it is recorded, and its
 * retry is a new job (recordOutcome). pg-boss runs a job again only when its run broke: its
 * process died (its heartbeat stops), or the database went away; soon, then less often, for most
 * of a day. The expiry only bounds a run that hangs with its process alive.
 */
function attemptJobOptions({ timeoutMs, heartbeatSeconds }: AttemptTiming): QueueOptions {
  return {
    retryLimit: 30,
    retryDelay: 1,
    retryBackoff: true,
    retryDelayMax: 3600,
    heartbeatSeconds,
    expireInSeconds: Math.ceil(timeoutMs / 1000) + EXPIRY_MARGIN_SECONDS,
    deleteAfterSeconds: 86_400,
  };
}

/** The job of a delivery's attempt, due at `startAfter`. */
export function attemptJob(
  delivery: number,
  attempt: number,
  startAfter: Date,
  timing: AttemptTiming,
): JobInsert<AttemptJobData> {
  return { data: { delivery, attempt }, startAfter, ...attemptJobOptions(timing) };
}

/** The wait after a delivery's `attempt`-th failed attempt: exponential, from the base up to the bound. */
export function retryDelaySeconds(
  attempt: number,
  config: Pick<WebhookConfig, 'retryBaseSeconds' | 'retryMaxDelaySeconds'>,
) {
  return Math.min(config.retryMaxDelaySeconds, config.retryBaseSeconds * 2 ** (attempt - 1));
}

export interface DeliveryJobDependencies {
  readonly db: Knex;
  readonly config: WebhookConfig;
  readonly timing: AttemptTiming;
  readonly logger: Logger;
  readonly signal: EventSignal;
  readonly send: WebhookSender;
}

/** Standard Webhooks' headers for the body: its id (the same on every attempt of the event), when, and the signature. */
function signedHeaders(secret: string, messageId: string, body: string): Record<string, string> {
  const at = new Date();
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, body),
  };
}

const DISABLED: AttemptOutcome = { succeeded: false, responseCode: null, error: 'webhook_disabled' };

/**
 * Records an attempt's outcome, unless the delivery is no longer waiting for this attempt (a run
 * of the same job taken for dead recorded it, or the delivery ended meanwhile: its webhook was
 * disabled or deleted).
 * Locks the webhook's row before the delivery's, as every writer of a webhook's deliveries does.
 * A failure is retried by a new job, inserted in the same transaction: the record and the next
 * attempt commit together or not at all. Returns whether the webhook was disabled.
 */
async function recordOutcome(
  { db, config, timing }: DeliveryJobDependencies,
  queue: JobQueue,
  target: AttemptTarget,
  attempt: number,
  outcome: AttemptOutcome,
): Promise<boolean> {
  return db.transaction(async (trx) => {
    const webhook = await runs.lockWebhookOf(trx, target);
    const delivery = webhook && (await runs.lockDeliveryOf(trx, target));
    if (!webhook || !delivery || delivery.status !== 'pending' || delivery.attempts !== attempt - 1) return false;
    const result = { attempt, responseCode: outcome.responseCode, error: outcome.error };
    if (outcome.succeeded) {
      await runs.recordAttempt(trx, target, { ...result, then: { status: 'succeeded' } });
      await runs.markSucceeded(trx, target);
      return false;
    }
    const limit = delivery.attempt_limit ?? config.maxAttempts;
    if (webhook.enabled && attempt < limit) {
      const inSeconds = retryDelaySeconds(attempt, config);
      const due = await runs.recordAttempt(trx, target, { ...result, then: { status: 'pending', inSeconds } });
      await queue.insert(DELIVERY_QUEUE, [attemptJob(target.id, attempt + 1, due!, timing)], trx);
      return false;
    }
    await runs.recordAttempt(trx, target, { ...result, then: { status: 'failed' } });
    // Its automatic attempts all failed (over about a day by default), and nothing reached the webhook since its event.
    const failing =
      delivery.attempt_limit === null &&
      webhook.enabled &&
      (webhook.last_success_at === null || webhook.last_success_at < delivery.created_at);
    if (!failing) return false;
    const disabled = await updateWebhook(trx, target.user_id, target.webhook_id, {
      enabled: false,
      disabled_reason: 'deliveries_failed',
    });
    await failPendingDeliveries(trx, target.user_id, target.webhook_id);
    await recordEvent(trx, target.user_id, 'webhook.disabled', { webhook: toWebhook(disabled) });
    return true;
  });
}

/** One attempt of a delivery: unless it is over or made already, POST the event, signed, and record what came of it. */
async function attemptDelivery(deps: DeliveryJobDependencies, queue: JobQueue, job: AttemptJobData): Promise<void> {
  const target = await runs.attemptTarget(deps.db, job.delivery);
  if (!target || target.status !== 'pending' || target.attempts !== job.attempt - 1) return;
  let outcome = DISABLED;
  if (target.enabled) {
    const event = toEvent(target.event);
    const body = JSON.stringify(event);
    outcome = await deps.send(target.url, body, signedHeaders(target.secret, `evt_${event.id}`, body));
  }
  if (await recordOutcome(deps, queue, target, job.attempt, outcome)) {
    deps.logger.warn(
      { webhook_id: target.webhook_id, user_id: target.user_id },
      'webhook disabled: its deliveries kept failing',
    );
    deps.signal.announce(target.user_id);
  }
}

/** The delivery attempts, each as a job of its own (several at once per process). */
export function webhookDeliveryJob(deps: DeliveryJobDependencies): BackgroundJob {
  return {
    name: DELIVERY_QUEUE,
    queue: attemptJobOptions(deps.timing),
    // A slow receiver holds its batch up to WEBHOOK_TIMEOUT_MS: two fetchers keep the others moving.
    work: { batchSize: 5, localConcurrency: 2, pollingIntervalSeconds: 1, burstWhenBatchFull: true },
    run: async (jobs, queue) => {
      // Only attemptJob() sends to this queue.
      const results = await Promise.allSettled(
        jobs.map((job) => attemptDelivery(deps, queue, job.data as AttemptJobData)),
      );
      // The batch is retried whole; the attempts it recorded are recognised as made (attemptDelivery).
      const broken = results.find((result) => result.status === 'rejected');
      if (broken) throw broken.reason;
    },
  };
}
