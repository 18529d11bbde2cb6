import type { Knex } from 'knex';

// Rate-limit counters shared by every API process (src/http/rate-limit-store.ts), one row per
// limited key and fixed window. Unlogged: the counters are written on every request and are worth
// nothing after a crash (a lost counter only restarts a window), so they skip the WAL. The index
// on reset_at serves the bounded clean-up of ended windows.
const UP = [
  `create unlogged table rate_limit_counters (
     key text primary key,
     hits integer not null check (hits >= 0),
     reset_at timestamptz not null
   )`,
  `create index rate_limit_counters_reset_at_idx on rate_limit_counters (reset_at)`,
];

export async function up(knex: Knex): Promise<void> {
  for (const statement of UP) await knex.raw(statement);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table rate_limit_counters');
}
