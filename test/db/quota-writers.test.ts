import { expect } from 'chai';
import type { Knex } from 'knex';
import { adminKnex, createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../helpers/databases.js';
import { pollUntil } from '../helpers/wait.js';

// The quotas (db/migrations/20261213000000_user_usage.ts) when one user's writers meet near a
// limit. Every write of a user's tasks first takes the user's change clock
// (db/migrations/20261220000000_lists_subtasks_trash_changes.ts), held until commit: a second
// writer waits for the first before it counts anything, so that the two cannot both take the last
// room, nor wait for each other's quota rows (which once deadlocked near a limit, a 503). Sessions
// whose interleaving is set step by step. PostgreSQL only: PGlite is one connection, whose writers
// never wait for each other.

const LIMIT = 16;
const USER = 'quota-stripes';

describe('quotas: two writers of one user at the limit [postgres]', function () {
  this.timeout(60_000);
  let database: TestDatabase | undefined;
  let sessions: Knex;
  const open: Knex.Transaction[] = [];

  before(async function () {
    if (!DATABASE_KINDS.includes('postgres')) return this.skip();
    database = await createTestDatabase('postgres');
    sessions = adminKnex(database.directUrl!, 4);
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

  async function session(): Promise<{ trx: Knex.Transaction; pid: number }> {
    const trx = await sessions.transaction();
    open.push(trx);
    const { rows } = await trx.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid');
    return { trx, pid: rows[0]!.pid };
  }

  /** Creates a task in `trx` under the limit, as the service's statements do; its error, if any. */
  const create = (trx: Knex.Transaction, user: string, title: string) =>
    trx.raw('insert into tasks (user_id, title) values (quota_scope(?, ?, null), ?)', [user, LIMIT, title]).then(
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

  const held = async (user: string) => {
    const { rows } = await database!.knex.raw<{ rows: { counted: number; held: number }[] }>(
      `select (select sum(tasks)::int from user_usage where user_id = ?) as counted,
              (select count(*)::int from tasks where user_id = ?) as held`,
      [user, user],
    );
    return rows[0];
  };

  /** A user one task short of the limit. */
  async function nearlyFull(user: string): Promise<void> {
    await database!.knex('users').insert({ id: user });
    await database!
      .knex('tasks')
      .insert(Array.from({ length: LIMIT - 1 }, (_, i) => ({ user_id: user, title: `T${i}` })));
  }

  it('the second writer waits for the first, then is refused at the limit once the first commits', async () => {
    await nearlyFull(USER);
    const first = await session();
    const second = await session();
    expect(await create(first.trx, USER, 'The last room')).to.equal(undefined);
    const refused = create(second.trx, USER, 'One too many');
    await waitingFor(second.pid, first.pid);
    await first.trx.commit();
    const error = await refused;
    expect(error?.code).to.equal('QT001');
    expect(JSON.parse(String(error?.detail))).to.deep.equal({ name: 'tasks', limit: LIMIT, used: LIMIT });
    await second.trx.rollback();
    expect(await held(USER)).to.deep.equal({ counted: LIMIT, held: LIMIT });
  });

  it('the second writer takes the room the first gave back by rolling back', async () => {
    const user = `${USER}-rollback`;
    await nearlyFull(user);
    const first = await session();
    const second = await session();
    expect(await create(first.trx, user, 'Rolled back')).to.equal(undefined);
    const taken = create(second.trx, user, 'Taken');
    await waitingFor(second.pid, first.pid);
    await first.trx.rollback();
    expect(await taken).to.equal(undefined);
    await second.trx.commit();
    expect(await held(user)).to.deep.equal({ counted: LIMIT, held: LIMIT });
  });
});
