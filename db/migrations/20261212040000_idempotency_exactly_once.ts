import type { Knex } from 'knex';

// Idempotency keys, exactly once (issue 12): a key's record is written in the same transaction as
// the request's writes, with the request's answer, and a running request holds a transaction-scoped
// advisory lock instead of a claim row. So a record always has its response, and what the old design
// needed for claims "in progress" goes: the claims themselves (a process killed mid-request left
// them behind; the request wrote nothing the new design would not redo), the attempt that owned a
// claim, and the claim time that let an abandoned claim be taken over.
const UP = [
  `delete from idempotency_keys where response_status is null`,
  `alter table idempotency_keys drop constraint idempotency_keys_response_whole`,
  `alter table idempotency_keys drop constraint idempotency_keys_body_with_status`,
  `alter table idempotency_keys drop column attempt, drop column claimed_at`,
  `alter table idempotency_keys alter column response_status set not null, alter column response_headers set not null`,
];

// Back to claims: every stored record counts as a finished claim, claimed when it was answered
// (as far as can be told: its expiry minus the retention of 24 hours).
const DOWN = [
  `alter table idempotency_keys alter column response_status drop not null, alter column response_headers drop not null`,
  `alter table idempotency_keys add column attempt uuid, add column claimed_at timestamptz`,
  `update idempotency_keys set attempt = gen_random_uuid(), claimed_at = expires_at - interval '24 hours'`,
  `alter table idempotency_keys alter column attempt set not null, alter column claimed_at set not null`,
  `alter table idempotency_keys add constraint idempotency_keys_response_whole
     check ((response_status is null) = (response_headers is null))`,
  `alter table idempotency_keys add constraint idempotency_keys_body_with_status
     check (response_status is not null or response_body is null)`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  for (const statement of DOWN) await knex.raw(statement);
}
