import { expect } from 'chai';
import type { Knex } from 'knex';
import { adminKnex, createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../helpers/databases.js';
import { pollUntil } from '../helpers/wait.js';

// The quota stripes (db/migrations/20261213000000_user_usage.ts) when writers wait for each other:
// sessions whose interleaving is set step by step, so that an order of lock waits that once
// deadlocked near a limit (a 503 for one of the writers) is replayed every time. PostgreSQL only:
// PGlite is one connection, whose writers never wait for each other.

const STRIPES = 16;
/** One task per stripe: a stripe that holds one has no room. */
const LIMIT = STRIPES;
const USER = 'quota-stripes';

describe('quota stripes: writers waiting for each other near the limit [postgres]', function () {
  this.timeout(60_000);
  let database: TestDatabase | undefined;
  let sessions: Knex;
  const open: Knex.Transaction[] = [];

  before(async function () {
    if (!DATABASE_KINDS.includes('postgres')) return this.skip();
    database = await createTestDatabase('postgres');
    sessions = adminKnex(database.directUrl!, 6);
  });
  afterEach(async () => {
    // All at once: a session waiting for a lock rolls back once the holder has.
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

  /** A transaction whose own stripe (its id modulo 16, as charge_owner picks it) is `stripe`. */
  async function onStripe(stripe: number): Promise<{ trx: Knex.Transaction; pid: number }> {
    for (let attempt = 0; attempt < 50 * STRIPES; attempt++) {
      const trx = await sessions.transaction();
      const { rows } = await trx.raw<{ rows: { own: string; pid: number }[] }>(
        `select txid_current() % ${STRIPES} as own, pg_backend_pid() as pid`,
      );
      if (Number(rows[0]!.own) === stripe) {
        open.push(trx);
        return { trx, pid: rows[0]!.pid };
      }
      await trx.rollback();
    }
    throw new Error(`no transaction on stripe ${stripe}`);
  }

  /** Creates a task in `trx` under the limit, as the service's statements do; its error, if any. */
  const create = (trx: Knex.Transaction, title: string) =>
    trx.raw('insert into tasks (user_id, title) values (quota_scope(?, ?, null), ?)', [USER, LIMIT, title]).then(
      () => undefined,
      (error: unknown) => error as { code?: string; detail?: string },
    );

  /** Until the session `pid` waits for a lock held by the session `holder`. */
  const waitingFor = (pid: number, holder: number) =>
    pollUntil(async () => {
      const { rows } = await database!.knex.raw<{ rows: { blocked: boolean }[] }>(
        'select ? = any(pg_blocking_pids(?)) as blocked',
        [holder, pid],
      );
      return rows[0]!.blocked;
    }, `session ${pid} to wait for session ${holder}`);

  it('two writers whose own stripes are full, each waiting for the stripes the other needs, do not deadlock: both are refused at the limit', async () => {
    // 14 tasks, one on every stripe but 2 and 9: only those two have room, one task each.
    await database!.knex('users').insert({ id: USER });
    await database!
      .knex('tasks')
      .insert(Array.from({ length: LIMIT - 2 }, (_, i) => ({ user_id: USER, title: `T${i}` })));
    await database!.knex.raw(
      `update user_usage set tasks = case when stripe in (2, 9) then 0 else 1 end,
         stored_bytes = case when stripe = 0 then (select sum(stored_bytes) from tasks where user_id = ?) else 0 end
       where user_id = ?`,
      [USER, USER],
    );

    // Two writers take the last room, stripes 2 and 9, and keep it until they commit.
    const second = await onStripe(2);
    const ninth = await onStripe(9);
    expect(await create(second.trx, 'On stripe 2')).to.equal(undefined);
    expect(await create(ninth.trx, 'On stripe 9')).to.equal(undefined);

    // Two more, whose own stripes (0 and 5) are full, wait for that room: counted from their own
    // stripe onwards, one meets stripe 2 first and the other stripe 9 first.
    const fromZero = await onStripe(0);
    const fromFive = await onStripe(5);
    const zero = create(fromZero.trx, 'From stripe 0');
    await waitingFor(fromZero.pid, second.pid);
    const five = create(fromFive.trx, 'From stripe 5');
    await waitingFor(fromFive.pid, ninth.pid);

    // The room is taken: each waiter finds the stripe it waited for full, and looks further.
    await second.trx.commit();
    await ninth.trx.commit();
    const refusals = await Promise.all([zero, five]);
    expect(refusals.map((error) => error?.code)).to.deep.equal(['QT001', 'QT001']);
    for (const error of refusals)
      expect(JSON.parse(String(error?.detail))).to.deep.equal({ name: 'tasks', limit: LIMIT, used: LIMIT });
    await fromZero.trx.rollback();
    await fromFive.trx.rollback();

    const { rows } = await database!.knex.raw<{ rows: { counted: number; held: number }[] }>(
      `select (select sum(tasks)::int from user_usage where user_id = ?) as counted,
              (select count(*)::int from tasks where user_id = ?) as held`,
      [USER, USER],
    );
    expect(rows[0]).to.deep.equal({ counted: LIMIT, held: LIMIT });
  });
});
