import type { OperationHandlers } from '../contract/operations.js';
import type { DeliveryService } from './deliveries.service.js';
import { toDelivery } from './delivery-representation.js';

export function createDeliveryHandlers(
  deliveries: DeliveryService,
): Pick<OperationHandlers, 'listWebhookDeliveries' | 'retryWebhookDelivery'> {
  return {
    async listWebhookDeliveries({ user, path, query }) {
      const page = await deliveries.list(user.id, path.webhook_id, {
        limit: query?.limit ?? 50,
        cursor: query?.cursor,
      });
      return { status: 200, body: { items: page.items.map(toDelivery), next_cursor: page.nextCursor } };
    },

    async retryWebhookDelivery({ user, path }) {
      const row = await deliveries.retry(user.id, path.webhook_id, path.delivery_id);
      return { status: 202, body: toDelivery(row) };
    },
  };
}
