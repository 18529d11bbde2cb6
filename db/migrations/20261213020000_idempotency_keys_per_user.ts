import type { Knex } from 'knex';

// The per-user bound on Idempotency-Key records (issue 13): each new key counts the user's live
// keys and finds when the oldest expires. The primary key (user_id, key) would read every record
// of the user, expired ones included; this index reads only the live ones, in expiry order.
const INDEX = 'idempotency_keys_user_expires_idx';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create index ${INDEX} on idempotency_keys (user_id, expires_at)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop index ${INDEX}`);
}
