import type { components } from '../../generated/api.js';

export type WebhookDelivery = components['schemas']['WebhookDelivery'];
export type DeliveryError = NonNullable<components['schemas']['DeliveryError']>;
type EventType = components['schemas']['EventType'];

/** A delivery as stored, the relay's bookkeeping aside. */
export interface DeliveryRow {
  id: number;
  webhook_id: number;
  event_seq: number;
  event_type: string;
  status: WebhookDelivery['status'];
  attempts: number;
  created_at: Date;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  last_response_code: number | null;
  last_error: DeliveryError | null;
}

export const DELIVERY_COLUMNS = [
  'id',
  'webhook_id',
  'event_seq',
  'event_type',
  'status',
  'attempts',
  'created_at',
  'last_attempt_at',
  'next_attempt_at',
  'last_response_code',
  'last_error',
];

export function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    event_id: String(row.event_seq),
    event_type: row.event_type as EventType,
    status: row.status,
    attempts: row.attempts,
    created_at: row.created_at.toISOString(),
    last_attempt_at: row.last_attempt_at?.toISOString() ?? null,
    next_attempt_at: row.status === 'pending' ? (row.next_attempt_at?.toISOString() ?? null) : null,
    last_response_code: row.last_response_code,
    last_error: row.last_error,
  };
}
