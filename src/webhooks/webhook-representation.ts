import type { components } from '../../generated/api.js';
import { strongEntityTag } from '../contract/entity-tags.js';

export type Webhook = components['schemas']['Webhook'];
export type WebhookCollection = components['schemas']['WebhookCollection'];
type EventType = components['schemas']['EventType'];
type DisabledReason = components['schemas']['WebhookDisabledReason'];

/** A webhook as stored, its secret aside (read only to sign: see deliveries.store.ts). */
export interface WebhookRow {
  id: number;
  user_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: DisabledReason;
  created_at: Date;
  updated_at: Date;
}

/** The webhook as the client reads it: never with its secret, which only its creation (or rotation) shows. */
export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    user_id: row.user_id,
    url: row.url,
    event_types: row.event_types as EventType[],
    description: row.description,
    enabled: row.enabled,
    disabled_reason: row.disabled_reason,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** A webhook with its strong ETag (a hash of what the client reads, as a list's). */
export interface WebhookRepresentation {
  readonly webhook: Webhook;
  readonly etag: string;
}

export function represent(row: WebhookRow): WebhookRepresentation {
  const webhook = toWebhook(row);
  return { webhook, etag: strongEntityTag(webhook) };
}

/** Every webhook of the user, with an ETag over the whole answer: it changes whenever any webhook does. */
export interface WebhookCollectionRepresentation {
  readonly collection: WebhookCollection;
  readonly etag: string;
}

export function representAll(rows: readonly WebhookRow[]): WebhookCollectionRepresentation {
  const collection = { items: rows.map(toWebhook) };
  return { collection, etag: strongEntityTag(collection) };
}
