import type { Knex } from 'knex';
import type { EventRow } from '../events/events.store.js';
import type { DeliveryError, DeliveryRow } from './delivery-representation.js';

// What the delivery jobs read and write. A job knows its delivery by id only; the delivery's row
// names its user, and every other row is reached through it, by that user.

/** What an attempt needs: the delivery's state, where it goes, how to sign it, and the event. */
export interface AttemptTarget {
  readonly id: number;
  readonly user_id: string;
  readonly webhook_id: number;
  readonly status: DeliveryRow['status'];
  readonly attempts: number;
  readonly url: string;
  readonly secret: string;
  readonly enabled: boolean;
  readonly event: EventRow;
}

export async function attemptTarget(db: Knex, deliveryId: number): Promise<AttemptTarget | undefined> {
  const row = await db('webhook_deliveries as d')
    .join('webhooks as w', 'w.id', 'd.webhook_id')
    .join('events as e', (on) => on.on('e.user_id', 'd.user_id').andOn('e.seq', 'd.event_seq'))
    .where('d.id', deliveryId)
    .first<(Omit<AttemptTarget, 'event'> & EventRow) | undefined>(
      'd.id',
      'd.user_id',
      'd.webhook_id',
      'd.status',
      'd.attempts',
      'w.url',
      'w.secret',
      'w.enabled',
      'e.seq',
      'e.type',
      'e.data',
      'e.created_at',
    );
  if (row === undefined) return undefined;
  const { seq, type, data, created_at, ...delivery } = row;
  return { ...delivery, event: { seq, type, data, created_at } };
}

/** The webhook's state an attempt's outcome is judged on, its row locked first (see recordAttempt). */
export async function lockWebhookOf(
  trx: Knex,
  target: AttemptTarget,
): Promise<{ enabled: boolean; last_success_at: Date | null } | undefined> {
  return (await trx('webhooks')
    .select('enabled', 'last_success_at')
    .where({ user_id: target.user_id, id: target.webhook_id })
    .forNoKeyUpdate()
    .first()) as { enabled: boolean; last_success_at: Date | null } | undefined;
}

/** The delivery as the attempt's outcome finds it, its row locked. */
export async function lockDeliveryOf(
  trx: Knex,
  target: AttemptTarget,
): Promise<Pick<DeliveryRow, 'status' | 'attempts' | 'created_at'> & { attempt_limit: number | null }> {
  return (await trx('webhook_deliveries')
    .select('status', 'attempts', 'attempt_limit', 'created_at')
    .where({ user_id: target.user_id, id: target.id })
    .forUpdate()
    .first()) as Pick<DeliveryRow, 'status' | 'attempts' | 'created_at'> & { attempt_limit: number | null };
}

/** An attempt's record: its outcome, and what becomes of the delivery. */
export interface AttemptRecord {
  readonly attempt: number;
  readonly responseCode: number | null;
  readonly error: DeliveryError | null;
  /** `pending` with the seconds until the next attempt, or the end. */
  readonly then: { status: 'pending'; inSeconds: number } | { status: 'succeeded' | 'failed' };
}

/** Writes the attempt's record; returns when the next attempt is due (null when there is none). */
export async function recordAttempt(trx: Knex, target: AttemptTarget, record: AttemptRecord): Promise<Date | null> {
  const [row] = await trx('webhook_deliveries')
    .where({ user_id: target.user_id, id: target.id })
    .update({
      attempts: record.attempt,
      last_attempt_at: trx.fn.now(),
      last_response_code: record.responseCode,
      last_error: record.error,
      status: record.then.status,
      next_attempt_at:
        record.then.status === 'pending'
          ? trx.raw('now() + make_interval(secs => ?::integer)', [record.then.inSeconds])
          : null,
    })
    .returning<{ next_attempt_at: Date | null }[]>('next_attempt_at');
  return row?.next_attempt_at ?? null;
}

export async function markSucceeded(trx: Knex, target: AttemptTarget): Promise<void> {
  await trx('webhooks')
    .where({ user_id: target.user_id, id: target.webhook_id })
    .update({ last_success_at: trx.fn.now() });
}

/** Whether any pending delivery (of these users, or of anyone) has no job yet: one probe of a small partial index. */
export async function anyUnqueued(db: Knex, users: readonly string[] | undefined): Promise<boolean> {
  const query = db('webhook_deliveries').select(db.raw('1')).where({ status: 'pending', queued: false }).limit(1);
  if (users !== undefined) query.whereIn('user_id', users);
  return (await query).length > 0;
}

/** A pending delivery the relay took: it sends the job of its next attempt. */
export interface TakenDelivery {
  readonly id: number;
  readonly attempts: number;
  readonly next_attempt_at: Date;
}

/**
 * Marks up to `limit` pending deliveries without a job (of these users, or of all) as queued, and
 * returns them: the caller inserts their jobs in the same transaction. SKIP LOCKED: two relays
 * never take the same delivery, nor wait for each other.
 */
export function takeUnqueued(trx: Knex, users: readonly string[] | undefined, limit: number): Promise<TakenDelivery[]> {
  const due = trx('webhook_deliveries')
    .select('id')
    .where({ status: 'pending', queued: false })
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked();
  if (users !== undefined) due.whereIn('user_id', users);
  return trx('webhook_deliveries')
    .whereIn('id', due)
    .update({ queued: true })
    .returning<TakenDelivery[]>(['id', 'attempts', 'next_attempt_at']);
}
