import { auditTrail } from '../audit/audit-trail.js';
import type { OperationHandlers } from '../contract/operations.js';
import { represent } from './webhook-representation.js';
import type { WebhookService, WrittenWebhook } from './webhooks.service.js';

type WebhookOperations = 'listWebhooks' | 'createWebhook' | 'getWebhook' | 'updateWebhook' | 'deleteWebhook';

export function createWebhookHandlers(webhooks: WebhookService): Pick<OperationHandlers, WebhookOperations> {
  return {
    async listWebhooks({ user, headers }) {
      const { collection, etag, current } = await webhooks.list(user.id, headers['If-None-Match']);
      const answerHeaders = { ETag: etag };
      return current
        ? { status: 304, body: undefined, headers: answerHeaders }
        : { status: 200, body: collection, headers: answerHeaders };
    },

    async createWebhook(input) {
      const written = await webhooks.create(input.user.id, input.body);
      auditTrail(input, 'webhook.create', { webhook_id: written.row.id });
      const { body, headers } = withSecret(written);
      const location = `/api/${encodeURIComponent(written.row.user_id)}/webhooks/${written.row.id}`;
      return { status: 201, body, headers: { ...headers, Location: location } };
    },

    async getWebhook({ user, path, headers }) {
      const { webhook, etag, current } = await webhooks.getUnlessCurrent(
        user.id,
        path.webhook_id,
        headers['If-None-Match'],
      );
      return current
        ? { status: 304, body: undefined, headers: { ETag: etag } }
        : { status: 200, body: webhook, headers: { ETag: etag } };
    },

    async updateWebhook(input) {
      const written = await webhooks.update(
        input.user.id,
        input.path.webhook_id,
        input.body,
        input.headers['If-Match'],
      );
      if (written.changed) auditTrail(input, 'webhook.update', { webhook_id: written.row.id });
      return { status: 200, ...withSecret(written) };
    },

    async deleteWebhook(input) {
      await webhooks.remove(input.user.id, input.path.webhook_id, input.headers['If-Match']);
      auditTrail(input, 'webhook.delete', { webhook_id: input.path.webhook_id });
      return { status: 204, body: undefined };
    },
  };
}

/**
 * The webhook as written, with the secret when the write made one (its one showing), and its ETag
 * (over the webhook without the secret, as every read shows it), in the result's headers so that an
 * Idempotency-Key replay answers with it too.
 */
function withSecret({ row, secret }: WrittenWebhook) {
  const { webhook, etag } = represent(row);
  return { body: secret === undefined ? webhook : { ...webhook, secret }, headers: { ETag: etag } };
}
