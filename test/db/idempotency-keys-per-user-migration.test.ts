import { expect } from 'chai';
import type { Knex } from 'knex';
import { migrationSource } from '../../src/db/migration-source.js';
import { liveKeys, liveKeysQuery } from '../../src/idempotency/idempotency.store.js';
import { describeEachFreshDatabase } from '../helpers/migration-suite.js';

// The index behind the per-user bound on Idempotency-Key records: the count of a user's live keys
// reads only them, through (user_id, expires_at), however many expired records the user left
// behind and however many keys the other users hold. Down and up again on each database kind.

const MIGRATION = '20261213020000_idempotency_keys_per_user.ts';
const INDEX = 'idempotency_keys_user_expires_idx';
const USER = 'keyed-user';

/** 2,000 expired and 5 live records of USER, and 1,000 live ones of each of 20 other users. */
const SEED = [
  `insert into users (id) select '${USER}' union all select 'other-' || g from generate_series(1, 20) g`,
  `insert into idempotency_keys (user_id, key, fingerprint, response_status, response_headers, expires_at)
   select '${USER}', 'k' || g, repeat('0', 64), 201, '{}',
          case when g <= 2000 then now() - g * interval '1 minute' else now() + g * interval '1 minute' end
   from generate_series(1, 2005) g`,
  `insert into idempotency_keys (user_id, key, fingerprint, response_status, response_headers, expires_at)
   select 'other-' || (g % 20 + 1), 'k' || g, repeat('0', 64), 201, '{}', now() + interval '1 hour'
   from generate_series(1, 20000) g`,
  'analyze idempotency_keys',
];

describeEachFreshDatabase('the idempotency keys per user migration', (fresh) => {
  let db: Knex;
  before(async () => {
    db = fresh();
    for (const statement of SEED) await db.raw(statement);
  });

  const indexes = async (): Promise<string[]> =>
    db('pg_indexes').where({ tablename: 'idempotency_keys' }).pluck('indexname');

  it("counts a user's live keys (5 of 2,005) through the index, and when the oldest expires", async () => {
    const { rows } = await db.raw<{ rows: { 'QUERY PLAN': string }[] }>(`explain ${liveKeysQuery(db, USER).toQuery()}`);
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).to.contain(INDEX);
    expect(plan).to.not.match(/Seq Scan/);
    const live = await liveKeys(db, USER);
    expect(live.count).to.equal(5);
    // The oldest live key expires 2001 minutes from now.
    expect(live.oldestExpiresInSeconds).to.be.within(2001 * 60 - 60, 2001 * 60);
  });

  it('goes down (the index dropped) and up again', async () => {
    await db.migrate.down({ migrationSource, name: MIGRATION });
    expect(await indexes()).to.not.include(INDEX);
    await db.migrate.up({ migrationSource, name: MIGRATION });
    expect(await indexes()).to.include(INDEX);
    expect((await liveKeys(db, USER)).count).to.equal(5);
  });
});
