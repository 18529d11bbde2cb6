import { expect } from 'chai';
import type { Knex } from 'knex';
import { migrationSource } from '../../src/db/migration-source.js';
import { describeEachFreshDatabase } from '../helpers/migration-suite.js';

// The migration to exactly-once idempotency keys, on a database that has rows of the old design:
// its claims "in progress" go (their requests wrote nothing that a retry would not redo, and would
// otherwise answer 409), its stored answers stay and replay as before, and every row has its
// answer from then on. Down and up again on each database kind.

const MIGRATION = '20261212040000_idempotency_exactly_once.ts';
const USER = 'migrated-user';

describeEachFreshDatabase('the exactly-once idempotency migration', (fresh) => {
  let db: Knex;
  before(async () => {
    db = fresh();
    await db.migrate.down({ migrationSource, name: MIGRATION });
    await db('users').insert({ id: USER });
    const row = { user_id: USER, fingerprint: 'f'.repeat(64), expires_at: db.raw(`now() + interval '1 hour'`) };
    await db('idempotency_keys').insert([
      { ...row, key: 'answered', attempt: '00000000-0000-4000-8000-000000000001', claimed_at: db.fn.now() },
      { ...row, key: 'in-progress', attempt: '00000000-0000-4000-8000-000000000002', claimed_at: db.fn.now() },
    ]);
    await db('idempotency_keys')
      .where({ key: 'answered' })
      .update({ response_status: 201, response_headers: '{"Location":"/api/x/tasks/1"}', response_body: '{"id":1}' });
    await db.migrate.up({ migrationSource, name: MIGRATION });
  });

  const columns = async () => Object.keys(await db('idempotency_keys').columnInfo()).sort();

  it('drops the claims in progress and what they needed; keeps the stored answers', async () => {
    expect(await db('idempotency_keys').pluck('key')).to.deep.equal(['answered']);
    expect(await columns()).to.deep.equal([
      'expires_at',
      'fingerprint',
      'key',
      'response_body',
      'response_headers',
      'response_status',
      'user_id',
    ]);
    expect(await db('idempotency_keys').first('response_status', 'response_headers', 'response_body')).to.deep.equal({
      response_status: 201,
      response_headers: { Location: '/api/x/tasks/1' },
      response_body: '{"id":1}',
    });
  });

  it('refuses a row without its answer', async () => {
    for (const missing of ['response_status', 'response_headers']) {
      const row: Record<string, unknown> = {
        user_id: USER,
        key: `without-${missing}`,
        fingerprint: 'f'.repeat(64),
        response_status: 200,
        response_headers: '{}',
        expires_at: db.fn.now(),
      };
      delete row[missing];
      const error = await db('idempotency_keys')
        .insert(row)
        .catch((caught: unknown) => caught);
      expect(error, missing).to.have.property('code', '23502'); // not_null_violation
    }
  });

  it('goes down to claims (each stored answer a finished one) and up again', async () => {
    await db.migrate.down({ migrationSource, name: MIGRATION });
    expect(await columns()).to.include.members(['attempt', 'claimed_at']);
    const row = await db('idempotency_keys').first<{ attempt: string; claimed_at: Date; expires_at: Date }>(
      'attempt',
      'claimed_at',
      'expires_at',
    );
    expect(row.attempt).to.match(/^[0-9a-f-]{36}$/);
    expect(row.expires_at.getTime() - row.claimed_at.getTime()).to.equal(24 * 3_600_000);
    await db.migrate.up({ migrationSource, name: MIGRATION });
    expect(await db('idempotency_keys').pluck('key')).to.deep.equal(['answered']);
  });
});
