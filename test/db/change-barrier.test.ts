import { expect } from 'chai';
import type { Knex } from 'knex';
import { adminKnex, createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../helpers/databases.js';
import { pollUntil } from '../helpers/wait.js';

// The changes feed's barrier (db/migrations/20261220000000_lists_subtasks_trash_changes.ts) at its
// edges, beside test/db/changes-order.test.ts (writers committing out of order, through the API): a
// number rolled back, and a writer arriving while a reader reads. Sessions whose interleaving is
// set step by step. PostgreSQL only: PGlite is one connection.

const USER = 'change-barrier';

describe('changes feed: writers committing out of order [postgres]', function () {
  this.timeout(60_000);
  let database: TestDatabase | undefined;
  let sessions: Knex;
  const open: Knex.Transaction[] = [];

  before(async function () {
    if (!DATABASE_KINDS.includes('postgres')) return this.skip();
    database = await createTestDatabase('postgres');
    sessions = adminKnex(database.directUrl!, 4);
    await database.knex('users').insert({ id: USER });
    // The user's first task, which makes the default list: later writers find it made.
    await database.knex('tasks').insert({ user_id: USER, title: 'First' });
  });
  afterEach(async () => {
    await Promise.all(
      open
        .splice(0)
        .filter((trx) => !trx.isCompleted())
        .map(async (trx) => trx.rollback()),
    );
  });
  after(async () => {
    await sessions?.destroy();
    await database?.close();
  });

  async function session(): Promise<{ trx: Knex.Transaction; pid: number }> {
    const trx = await sessions.transaction();
    open.push(trx);
    const { rows } = await trx.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid');
    return { trx, pid: rows[0]!.pid };
  }

  /** Creates a task; its change number. */
  async function create(trx: Knex.Transaction, title: string): Promise<number> {
    const { rows } = await trx.raw<{ rows: { change_seq: string }[] }>(
      'insert into tasks (user_id, title) values (?, ?) returning change_seq',
      [USER, title],
    );
    return Number(rows[0]!.change_seq);
  }

  /** What a feed reader reads after the barrier, in one transaction: the numbers above `since`. */
  async function readAfterBarrier(trx: Knex.Transaction, since: number): Promise<number[]> {
    await trx.raw('select changes_barrier(?)', [USER]);
    const { rows } = await trx.raw<{ rows: { change_seq: string }[] }>(
      'select change_seq from tasks where user_id = ? and change_seq > ? order by change_seq',
      [USER, since],
    );
    await trx.commit();
    return rows.map((row) => Number(row.change_seq));
  }

  const waitingFor = (pid: number, holder: number) =>
    pollUntil(async () => {
      const { rows } = await database!.knex.raw<{ rows: { blocked: boolean }[] }>(
        'select ? = any(pg_blocking_pids(?)) as blocked',
        [holder, pid],
      );
      return rows[0]!.blocked;
    }, `session ${pid} to wait for session ${holder}`);

  const since = async () => {
    const { rows } = await database!.knex.raw<{ rows: { seq: string | null }[] }>(
      'select max(change_seq) as seq from tasks where user_id = ?',
      [USER],
    );
    return Number(rows[0]!.seq ?? 0);
  };

  it('a number rolled back leaves a gap the reader passes once the writer is gone', async () => {
    const from = await since();
    const early = await session();
    const late = await session();
    const reader = await session();
    await create(early.trx, 'Rolled back');
    const kept = await create(late.trx, 'Kept');
    await late.trx.commit();
    const read = readAfterBarrier(reader.trx, from);
    await waitingFor(reader.pid, early.pid);
    await early.trx.rollback();
    expect(await read).to.deep.equal([kept]);
  });

  it('a writer that starts while a reader reads waits for it, and takes a greater number than any it read', async () => {
    const from = await since();
    const reader = await session();
    const writer = await session();
    await reader.trx.raw('select changes_barrier(?)', [USER]);
    const pending = create(writer.trx, 'After the read');
    await waitingFor(writer.pid, reader.pid);
    const { rows } = await reader.trx.raw<{ rows: { seq: string | null }[] }>(
      'select max(change_seq) as seq from tasks where user_id = ? and change_seq > ?',
      [USER, from],
    );
    await reader.trx.commit();
    const written = await pending;
    await writer.trx.commit();
    expect(written).to.be.greaterThan(Number(rows[0]!.seq ?? from));
  });
});
