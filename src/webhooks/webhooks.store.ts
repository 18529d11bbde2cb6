import type { Knex } from 'knex';
import type { WebhookRow } from './webhook-representation.js';

/** The columns a client reads: never the secret, nor the bookkeeping of failures. */
export const WEBHOOK_COLUMNS = [
  'id',
  'user_id',
  'url',
  'event_types',
  'description',
  'enabled',
  'disabled_reason',
  'created_at',
  'updated_at',
];

/** What a write may change (`secret` only by a rotation, whose answer shows it). */
export interface WebhookChanges {
  readonly url?: string;
  readonly event_types?: readonly string[];
  readonly description?: string | null;
  readonly enabled?: boolean;
  readonly disabled_reason?: WebhookRow['disabled_reason'];
  readonly secret?: string;
}

// Every query below filters on user_id first: another user's webhook is never read or written.

/** The webhook; `lock`: its row locked until the transaction ends, for a change. */
export async function findWebhook(
  db: Knex,
  userId: string,
  id: number,
  options: { lock?: boolean } = {},
): Promise<WebhookRow | undefined> {
  const query = db('webhooks').select(WEBHOOK_COLUMNS).where({ user_id: userId, id });
  if (options.lock) query.forNoKeyUpdate();
  return (await query.first()) as WebhookRow | undefined;
}

/** Every webhook of the user, the oldest first. */
export function findWebhooks(db: Knex, userId: string): Promise<WebhookRow[]> {
  return db('webhooks').select<WebhookRow[]>(WEBHOOK_COLUMNS).where('user_id', userId).orderBy('id');
}

export async function countWebhooks(db: Knex, userId: string): Promise<number> {
  const row = await db('webhooks').where('user_id', userId).first<{ count: number }>(db.raw('count(*)::int as count'));
  return row?.count ?? 0;
}

/**
 * Locks the user's row until the transaction ends, so that the user's webhook creates run one at a
 * time and the count the quota compares is exact (`no key update`: their other writes never wait).
 */
export async function lockWebhookCreation(db: Knex, userId: string): Promise<void> {
  await db('users').select('id').where('id', userId).forNoKeyUpdate();
}

export async function insertWebhook(
  db: Knex,
  userId: string,
  webhook: { url: string; event_types: readonly string[]; description: string | null; secret: string },
): Promise<WebhookRow> {
  const [row] = await db('webhooks')
    .insert({ user_id: userId, ...webhook, event_types: [...webhook.event_types] })
    .returning<WebhookRow[]>(WEBHOOK_COLUMNS);
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** Writes the changes (the caller has found them to differ) and returns the webhook as it now is. */
export async function updateWebhook(
  db: Knex,
  userId: string,
  id: number,
  changes: WebhookChanges,
): Promise<WebhookRow> {
  const columns = changes.event_types ? { ...changes, event_types: [...changes.event_types] } : changes;
  const [row] = await db('webhooks')
    .where({ user_id: userId, id })
    .update({ ...columns, updated_at: db.fn.now() })
    .returning<WebhookRow[]>(WEBHOOK_COLUMNS);
  if (!row) throw new Error('update returned no row');
  return row;
}

/** Deletes the webhook (its deliveries with it); false when the user has no such webhook. */
export async function deleteWebhook(db: Knex, userId: string, id: number): Promise<boolean> {
  return (await db('webhooks').where({ user_id: userId, id }).delete()) > 0;
}

/** A disabled webhook's pending deliveries fail: none is attempted any more. */
export async function failPendingDeliveries(db: Knex, userId: string, webhookId: number): Promise<void> {
  await db('webhook_deliveries')
    .where({ user_id: userId, webhook_id: webhookId, status: 'pending' })
    .update({ status: 'failed', last_error: 'webhook_disabled', next_attempt_at: null });
}
