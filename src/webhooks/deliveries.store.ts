import type { Knex } from 'knex';
import { DELIVERY_COLUMNS, type DeliveryRow } from './delivery-representation.js';

// What the API reads and writes of deliveries; every query filters on user_id first.

/** The webhook's deliveries older than `before` (all when undefined), the newest first, at most `limit`. */
export function listDeliveries(
  db: Knex,
  userId: string,
  webhookId: number,
  { limit, before }: { limit: number; before: number | undefined },
): Promise<DeliveryRow[]> {
  const query = db('webhook_deliveries')
    .select<DeliveryRow[]>(DELIVERY_COLUMNS)
    .where({ user_id: userId, webhook_id: webhookId });
  if (before !== undefined) query.where('id', '<', before);
  return query.orderBy('id', 'desc').limit(limit);
}

/** The delivery, its row locked until the transaction ends. */
export async function lockDelivery(
  db: Knex,
  userId: string,
  webhookId: number,
  id: number,
): Promise<DeliveryRow | undefined> {
  return (await db('webhook_deliveries')
    .select(DELIVERY_COLUMNS)
    .where({ user_id: userId, webhook_id: webhookId, id })
    .forUpdate()
    .first()) as DeliveryRow | undefined;
}

/**
 * Makes the delivery pending again, due now, for one more attempt whose outcome is final; the
 * relay sends it (once the transaction has committed and the user's writes are announced).
 */
export async function resendDelivery(db: Knex, userId: string, id: number): Promise<DeliveryRow> {
  const [row] = await db('webhook_deliveries')
    .where({ user_id: userId, id })
    .update({
      status: 'pending',
      queued: false,
      next_attempt_at: db.fn.now(),
      attempt_limit: db.raw('attempts + 1'),
    })
    .returning<DeliveryRow[]>(DELIVERY_COLUMNS);
  if (!row) throw new Error('update returned no row');
  return row;
}
