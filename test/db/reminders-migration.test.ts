import { expect } from 'chai';
import type { Knex } from 'knex';
import { migrationSource } from '../../src/db/migration-source.js';
import { describeEachFreshDatabase } from '../helpers/migration-suite.js';

// The reminders migration: existing tasks get no reminder, and the triggers keep what no write
// path may forget, whatever statement writes (here plain SQL, as clear-completed or a list's
// deletion write): a completed or trashed task has nothing pending, a reopened or restored one
// has pending again what is still ahead, and next_reminder_at is the earliest pending. Down and
// up again on each database kind.

const MIGRATION = '20261230020000_task_reminders.ts';
const USER = 'reminded-user';

/** A stored reminder (src/reminders/reminder-schedule.ts) for `scheduled`, pending or not. */
const reminder = (id: string, scheduled: Date, pending = true) => ({
  id,
  at: scheduled.toISOString(),
  before_due: null,
  time: null,
  scheduled: scheduled.toISOString(),
  fires_at: pending ? scheduled.toISOString() : null,
});

const HOUR = 3_600_000;

describeEachFreshDatabase('the task reminders migration', (fresh) => {
  let db: Knex;
  before(async () => {
    db = fresh();
    await db.migrate.down({ migrationSource, name: MIGRATION });
    await db.raw(`insert into users (id) values (?)`, [USER]);
    await db.raw(`insert into tasks (user_id, title) values (?, 'Made before reminders')`, [USER]);
    await db.migrate.up({ migrationSource, name: MIGRATION });
  });

  interface ReminderColumns {
    reminders: ReturnType<typeof reminder>[];
    next_reminder_at: Date | null;
  }
  const taskRow = async (id: number) =>
    await db('tasks').where({ id }).first<ReminderColumns>('reminders', 'next_reminder_at');
  const insert = async (reminders: unknown[], completed = false): Promise<number> => {
    const [row] = await db('tasks')
      .insert({
        user_id: USER,
        title: 'Reminded',
        completed,
        completed_at: completed ? db.fn.now() : null,
        reminders: JSON.stringify(reminders),
      })
      .returning<{ id: number }[]>('id');
    return row!.id;
  };

  it('gives the tasks made before it no reminder', async () => {
    const rows = await db('tasks')
      .where({ user_id: USER, title: 'Made before reminders' })
      .select('reminders', 'next_reminder_at');
    expect(rows).to.deep.equal([{ reminders: [], next_reminder_at: null }]);
  });

  it('keeps next_reminder_at the earliest pending; completing and trashing disarm, reopening and restoring re-arm what is ahead', async () => {
    const past = new Date(Date.now() - HOUR);
    const soon = new Date(Date.now() + HOUR);
    const later = new Date(Date.now() + 2 * HOUR);
    const id = await insert([reminder('a', later), reminder('b', soon), reminder('c', past, false)]);
    expect((await taskRow(id)).next_reminder_at).to.deep.equal(soon);

    await db('tasks').where({ id }).update({ completed: true, completed_at: db.fn.now() });
    const done = await taskRow(id);
    expect(done.reminders.map((each) => each.fires_at)).to.deep.equal([null, null, null]);
    expect(done.next_reminder_at).to.equal(null);

    await db('tasks').where({ id }).update({ completed: false, completed_at: null });
    const reopened = await taskRow(id);
    expect(reopened.reminders.map((each) => each.fires_at)).to.deep.equal([
      later.toISOString(),
      soon.toISOString(),
      null,
    ]);
    expect(reopened.next_reminder_at).to.deep.equal(soon);

    await db('tasks').where({ id }).update({ deleted_at: db.fn.now(), trash_root: id });
    expect((await taskRow(id)).next_reminder_at).to.equal(null);
    await db('tasks').where({ id }).update({ deleted_at: null, trash_root: null });
    expect((await taskRow(id)).next_reminder_at).to.deep.equal(soon);

    // A task created completed has nothing pending.
    expect((await taskRow(await insert([reminder('d', soon)], true))).next_reminder_at).to.equal(null);
  });

  it('refuses more than 5 reminders', async () => {
    const six = Array.from({ length: 6 }, (_, i) => reminder(String(i), new Date(Date.now() + HOUR)));
    await db
      .transaction((trx) => trx('tasks').insert({ user_id: USER, title: 'Six', reminders: JSON.stringify(six) }))
      .then(
        () => expect.fail('six reminders were stored'),
        (error: { code?: string }) => expect(error.code).to.equal('23514'),
      );
  });

  it('goes down (columns, triggers and index dropped) and up again', async () => {
    const columns = async () =>
      db('information_schema.columns')
        .where({ table_name: 'tasks' })
        .whereIn('column_name', ['reminders', 'next_reminder_at'])
        .pluck('column_name');
    await db.migrate.down({ migrationSource, name: MIGRATION });
    expect(await columns()).to.deep.equal([]);
    expect(await db('pg_indexes').where({ indexname: 'tasks_next_reminder_idx' }).pluck('indexname')).to.deep.equal([]);
    await db.migrate.up({ migrationSource, name: MIGRATION });
    expect((await columns()).sort()).to.deep.equal(['next_reminder_at', 'reminders']);
    const id = await insert([reminder('e', new Date(Date.now() + HOUR))]);
    expect((await taskRow(id)).next_reminder_at).to.be.instanceOf(Date);
  });
});
