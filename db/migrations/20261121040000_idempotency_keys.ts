import type { Knex } from 'knex';

// Idempotency-Key records (issue 5), shared by every server process through the database.
// Plain SQL, one statement per call (PGlite runs a single statement per query).
// - The key is scoped by user: (user_id, key) is the primary key, user_id first as on every table of user data.
// - A row without a response is a claim in progress, owned by the request whose `attempt` it holds:
//   only that request may complete or release it, even after another one took over an abandoned claim.
// - The response body is kept as the JSON text that was produced, not jsonb, which would reorder its
//   keys: a replay answers with the very same bytes.
// - expires_at is indexed for the bounded sweep of expired rows that runs with each claim.
const UP = [
  `create table idempotency_keys (
     user_id text not null references users (id) on delete cascade,
     key text not null check (char_length(key) between 1 and 255),
     fingerprint text not null check (char_length(fingerprint) = 64),
     attempt uuid not null,
     claimed_at timestamptz not null,
     expires_at timestamptz not null,
     response_status smallint check (response_status between 200 and 299),
     response_headers jsonb,
     response_body text,
     primary key (user_id, key),
     constraint idempotency_keys_response_whole check ((response_status is null) = (response_headers is null)),
     constraint idempotency_keys_body_with_status check (response_status is not null or response_body is null)
   )`,
  `create index idempotency_keys_expires_idx on idempotency_keys (expires_at)`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table idempotency_keys');
}
