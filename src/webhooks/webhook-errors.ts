import { DomainError } from '../contract/domain-error.js';

/** The user has no webhook with this id (another user's is indistinguishable from a missing one). */
export class WebhookNotFoundError extends DomainError {
  override name = 'WebhookNotFoundError';

  constructor(readonly webhookId: number) {
    super('not_found', `Webhook ${webhookId} was not found.`);
  }
}

/** The webhook is no longer as the writer last read it (its `If-Match`): nothing was written. */
export class WebhookPreconditionFailedError extends DomainError {
  override name = 'WebhookPreconditionFailedError';

  constructor(readonly webhookId: number) {
    super('precondition_failed', 'The webhook has changed since it was read (If-Match); nothing was written.');
  }
}

/** A write of a webhook without `If-Match` on a server that requires one (REQUIRE_IF_MATCH): it did not run. */
export class WebhookPreconditionRequiredError extends DomainError {
  override name = 'WebhookPreconditionRequiredError';

  constructor() {
    super('precondition_required', 'This write needs an If-Match header with the ETag of the webhook as last read.');
  }
}

/** The webhook has no delivery with this id. */
export class DeliveryNotFoundError extends DomainError {
  override name = 'DeliveryNotFoundError';

  constructor(
    readonly webhookId: number,
    readonly deliveryId: number,
  ) {
    super('not_found', `Delivery ${deliveryId} of webhook ${webhookId} was not found.`);
  }
}

/** Sending again a delivery that is still pending: its next attempt comes by itself. */
export class DeliveryPendingError extends DomainError {
  override name = 'DeliveryPendingError';

  constructor(
    readonly deliveryId: number,
    nextAttemptAt: Date | null,
  ) {
    const due = nextAttemptAt ? `; its next attempt is due at ${nextAttemptAt.toISOString()}` : '';
    super('conflict', `Delivery ${deliveryId} is still pending${due}.`);
  }
}

/** Sending again a delivery of a disabled webhook: it would fail at once. */
export class WebhookDisabledError extends DomainError {
  override name = 'WebhookDisabledError';

  constructor(readonly webhookId: number) {
    super(
      'conflict',
      `Webhook ${webhookId} is disabled; enable it (updateWebhook with enabled true) before sending its deliveries again.`,
    );
  }
}
