import { expect } from 'chai';
import type { Knex } from 'knex';
import { isDatabaseUnavailable, markFailure, unavailableCause } from '../../src/db/availability.js';
import { createPglite, pgliteKnex, postgresKnex } from '../../src/db/database.js';
import { detectStatementBound } from '../../src/db/statement-bound.js';
import { adminKnex, DATABASE_KINDS, POSTGRES_ADMIN_URL } from '../helpers/databases.js';
import { freePort } from '../helpers/throwaway-postgres.js';
import { pollUntil } from '../helpers/wait.js';

// Which database errors are "not now" (503) and which are bugs (500): decided by where the error
// happened (getting a connection, or running a statement on a live or a lost one), as the Knex
// clients record it, checked here with errors the real drivers raise.

/** The error `action` fails with; fails the test if it succeeds. */
async function failure(action: () => PromiseLike<unknown>): Promise<Error> {
  try {
    await action();
  } catch (error) {
    expect(error).to.be.instanceOf(Error);
    return error as Error;
  }
  throw new Error('expected the action to fail');
}

/** A statement the server refuses with SQLSTATE `state`, whatever the database's contents. */
const raising = (state: string) =>
  `do $$ begin raise exception 'raised for the test' using errcode = '${state}'; end $$`;

/** SQLSTATEs a live connection may report, and whether each means "not now". */
const SERVER_STATES: [string, string, boolean][] = [
  ['57014', 'query_canceled (statement timeout)', true],
  ['57P01', 'admin_shutdown', true],
  ['08006', 'connection_failure', true],
  ['40001', 'serialization_failure', true],
  ['40P01', 'deadlock_detected', true],
  ['53300', 'too_many_connections', true],
  ['53200', 'out_of_memory', true],
  ['55P03', 'lock_not_available', true],
  ['58030', 'io_error', true],
  ['23505', 'unique_violation', false],
  ['23503', 'foreign_key_violation', false],
  ['22012', 'division_by_zero', false],
  ['42501', 'insufficient_privilege (on a statement)', false],
  ['55000', 'object_not_in_prerequisite_state (on a statement)', false],
];

describe('database availability: where an error happened decides', () => {
  describe('the rule', () => {
    it('counts an error that did not come through the database clients as a bug, whatever its code', () => {
      expect(isDatabaseUnavailable(Object.assign(new Error('canceled'), { code: '57014' }))).to.equal(false);
      expect(isDatabaseUnavailable(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).to.equal(false);
      expect(isDatabaseUnavailable('57014')).to.equal(false);
    });

    it('counts every error while getting a connection as unavailable, and one on a lost connection', () => {
      expect(isDatabaseUnavailable(markFailure(new Error('anything'), { at: 'connect' }))).to.equal(true);
      expect(isDatabaseUnavailable(markFailure('not even an Error', { at: 'connect' }))).to.equal(true);
      const lost = new Error('Connection terminated unexpectedly');
      expect(isDatabaseUnavailable(markFailure(lost, { at: 'statement', connectionLost: true }))).to.equal(true);
      const live = new Error('Connection terminated unexpectedly');
      expect(isDatabaseUnavailable(markFailure(live, { at: 'statement', connectionLost: false }))).to.equal(false);
    });
  });

  for (const kind of DATABASE_KINDS.filter((each) => each !== 'pgbouncer')) {
    describe(`on ${kind}`, function () {
      this.timeout(30_000);
      let db: Knex;
      before(async () => {
        db = kind === 'pglite' ? pgliteKnex(await createPglite()) : postgresKnex(POSTGRES_ADMIN_URL, 2);
      });
      after(() => db?.destroy());

      for (const [state, name, unavailable] of SERVER_STATES) {
        it(`${state} ${name} reported on a live connection: ${unavailable ? '503' : 'a bug'}`, async () => {
          const error = await failure(() => db.raw(raising(state)));
          expect((error as { code?: string }).code).to.equal(state);
          expect(isDatabaseUnavailable(error)).to.equal(unavailable);
          expect(unavailableCause(error)).to.equal(
            unavailable ? (state === '57014' ? 'statement_timeout' : 'server_state') : undefined,
          );
          // The same inside a transaction (its statements run through the same client).
          const inTransaction = await failure(() => db.transaction((trx) => trx.raw(raising(state))));
          expect(isDatabaseUnavailable(inTransaction)).to.equal(unavailable);
        });
      }

      it('a syntax error or a missing table is a bug', async () => {
        expect(isDatabaseUnavailable(await failure(() => db.raw('selec 1')))).to.equal(false);
        expect(isDatabaseUnavailable(await failure(() => db('no_such_table').select()))).to.equal(false);
      });
    });
  }

  describe('on PGlite, closed under the service (a shutdown)', () => {
    it('is unavailable on its open connection, and once the pool is gone', async function () {
      this.timeout(30_000);
      const instance = await createPglite();
      const db = pgliteKnex(instance);
      await db.raw('select 1'); // the pool holds the one connection
      await instance.close();
      expect(isDatabaseUnavailable(await failure(() => db.raw('select 1')))).to.equal(true);
      await db.destroy();
      expect(isDatabaseUnavailable(await failure(() => db.raw('select 1')))).to.equal(true);
    });
  });

  describe('on PostgreSQL', function () {
    this.timeout(30_000);
    before(function () {
      if (!DATABASE_KINDS.includes('postgres')) this.skip();
    });
    const bounds = { connectTimeoutMs: 300, acquireTimeoutMs: 300, statementTimeoutMs: 300 };
    const pools: Knex[] = [];
    const pool = (url: string, max = 1) => {
      const db = postgresKnex(url, max, { bounds });
      pools.push(db);
      return db;
    };
    after(() => Promise.all(pools.map((db) => db.destroy())));

    it('getting a connection: refused, unknown database, pool exhausted, for statements and transactions alike', async () => {
      const refused = pool(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`);
      const unknown = pool(withDatabase(POSTGRES_ADMIN_URL, `todo_no_such_database_${process.pid}`));
      for (const db of [refused, unknown]) {
        expect(unavailableCause(await failure(() => db.raw('select 1')))).to.equal('no_connection');
        expect(unavailableCause(await failure(() => db.transaction(async () => undefined)))).to.equal('no_connection');
      }
      expect(((await failure(() => unknown.raw('select 1'))) as { code?: string }).code).to.equal('3D000');

      const exhausted = pool(POSTGRES_ADMIN_URL);
      const holder = await exhausted.transaction();
      try {
        const waited = await failure(() => exhausted.raw('select 1'));
        expect(waited.name).to.equal('KnexTimeoutError');
        expect(unavailableCause(waited)).to.equal('no_connection');
        expect(isDatabaseUnavailable(await failure(() => exhausted.transaction(async () => undefined)))).to.equal(true);
      } finally {
        await holder.rollback();
      }
    });

    it('the start-up probe of the statement bound, on a server that cannot be reached', async () => {
      const url = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
      expect(isDatabaseUnavailable(await failure(() => detectStatementBound(url, bounds)))).to.equal(true);
    });

    it('a connection lost in the middle of a transaction, between statements or under one, and one whose statement the client gave up', async () => {
      // Bounds long enough for a statement to still be running when its backend is terminated.
      const db = adminKnex(POSTGRES_ADMIN_URL, 2);
      pools.push(db);
      const admin = pool(POSTGRES_ADMIN_URL);
      const backendOf = async (trx: Knex.Transaction) =>
        (await trx.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const activity = async (pid: number) =>
        (
          await admin.raw<{ rows: { wait_event: string | null }[] }>(
            'select wait_event from pg_stat_activity where pid = ?',
            [pid],
          )
        ).rows;
      const terminate = (pid: number) => admin.raw('select pg_terminate_backend(?)', [pid]);
      /**
       * What a transaction meets when `lose` ends its backend. However that goes, the backend is
       * gone and the transaction rolled back at the end (a transaction left open would keep its
       * connection from the pool, whose `destroy` in the after hook would then wait forever).
       */
      const losing = async (lose: (trx: Knex.Transaction, pid: number) => Promise<Error>) => {
        const trx = await db.transaction();
        const pid = await backendOf(trx);
        try {
          return await lose(trx, pid);
        } finally {
          await terminate(pid);
          await trx.rollback(); // hands the dead connection back to the pool, to be destroyed
        }
      };

      // Between statements: the server's report of the end arrives while no statement runs (or
      // just after the next one was sent, when the client is slow to read it).
      const between = await losing(async (trx, pid) => {
        await terminate(pid);
        await pollUntil(async () => (await activity(pid)).length === 0, 'the backend to be gone');
        return failure(() => trx.raw('select 1'));
      });
      expect(unavailableCause(between), between.message).to.equal('connection_lost');

      // Under a statement: the server's report (FATAL, 57P01) is the statement's own error, which
      // reaches it before the socket's end does.
      const under = await losing(async (trx, pid) => {
        const sleeping = failure(() => trx.raw('select pg_sleep(60)'));
        await pollUntil(async () => (await activity(pid))[0]?.wait_event === 'PgSleep', 'the statement to be running');
        await terminate(pid);
        return sleeping;
      });
      expect(under).to.include({ code: '57P01', severity: 'FATAL' });
      expect(unavailableCause(under), under.message).to.equal('connection_lost');
      expect((await db.raw<{ rows: unknown[] }>('select 1')).rows, 'a live connection after both').to.have.length(1);

      // `client`: no server-side statement_timeout, so pg's query_timeout gives the statement up.
      const bounded = postgresKnex(POSTGRES_ADMIN_URL, 1, { bounds, statementBound: 'client' });
      pools.push(bounded);
      const givenUp = await failure(() => bounded.raw('select pg_sleep(5)'));
      expect(givenUp.message).to.match(/Query read timeout/);
      expect(unavailableCause(givenUp)).to.equal('statement_timeout');
      expect((await bounded.raw<{ rows: unknown[] }>('select 1')).rows).to.have.length(1);
    });
  });
});

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
