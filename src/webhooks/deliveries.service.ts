import type { Knex } from 'knex';
import { decodeDeliveryCursor, encodeDeliveryCursor } from './delivery-cursor.js';
import type { DeliveryRow } from './delivery-representation.js';
import * as store from './deliveries.store.js';
import {
  DeliveryNotFoundError,
  DeliveryPendingError,
  WebhookDisabledError,
  WebhookNotFoundError,
} from './webhook-errors.js';
import { findWebhook } from './webhooks.store.js';

export interface DeliveryPage {
  readonly items: DeliveryRow[];
  readonly nextCursor: string | null;
}

export type DeliveryService = ReturnType<typeof createDeliveryService>;

/** What a user sees of their webhooks' deliveries and may ask of them. Knows nothing of HTTP. */
export function createDeliveryService(db: Knex) {
  return {
    /** A page of the webhook's deliveries, the newest first. */
    async list(
      userId: string,
      webhookId: number,
      { limit, cursor }: { limit: number; cursor: string | undefined },
    ): Promise<DeliveryPage> {
      const before = cursor === undefined ? undefined : decodeDeliveryCursor(cursor);
      if ((await findWebhook(db, userId, webhookId)) === undefined) throw new WebhookNotFoundError(webhookId);
      // One extra row tells whether another page follows.
      const rows = await store.listDeliveries(db, userId, webhookId, { limit: limit + 1, before });
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeDeliveryCursor(last.id) : null };
    },

    /**
     * Makes a delivery that is over pending again, for one attempt now. The webhook's row is locked
     * first, as every writer of its deliveries locks it (the attempts' records, disabling): it
     * cannot be disabled between the check and the write.
     */
    retry(userId: string, webhookId: number, deliveryId: number): Promise<DeliveryRow> {
      return db.transaction(async (trx) => {
        const webhook = await findWebhook(trx, userId, webhookId, { lock: true });
        if (webhook === undefined) throw new WebhookNotFoundError(webhookId);
        const delivery = await store.lockDelivery(trx, userId, webhookId, deliveryId);
        if (delivery === undefined) throw new DeliveryNotFoundError(webhookId, deliveryId);
        if (delivery.status === 'pending') throw new DeliveryPendingError(deliveryId, delivery.next_attempt_at);
        if (!webhook.enabled) throw new WebhookDisabledError(webhookId);
        return store.resendDelivery(trx, userId, deliveryId);
      });
    },
  };
}
