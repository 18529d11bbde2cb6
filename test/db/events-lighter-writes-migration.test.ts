import { expect } from 'chai';
import type { Knex } from 'knex';
import { migrationSource } from '../../src/db/migration-source.js';
import { describeEachFreshDatabase } from '../helpers/migration-suite.js';

// The outbox's lighter writes (db/migrations/20261230030000_events_lighter_writes.ts): the events
// recorded before it read back the same; those after it are the same rows without the search
// vector; a user's deletion still takes their events and the events' deliveries along, with no
// foreign key doing it; and down restores the jsonb column and the key. On each database kind.

const MIGRATION = '20261230030000_events_lighter_writes.ts';
const BEFORE = 'user-before';
const AFTER = 'user-after';

interface StoredEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

const eventsOf = (db: Knex, userId: string) =>
  db('events').where('user_id', userId).orderBy('seq').select<StoredEvent[]>('seq', 'type', 'data');

const dataType = async (db: Knex) =>
  (
    await db.raw<{ rows: { type: string }[] }>(
      `select data_type as type from information_schema.columns where table_name = 'events' and column_name = 'data'`,
    )
  ).rows[0]!.type;

describeEachFreshDatabase('the lighter outbox writes migration', (fresh) => {
  let db: Knex;
  let recordedBefore: StoredEvent[];
  before(async () => {
    db = fresh();
    await db.migrate.down({ migrationSource, name: MIGRATION });
    await db.raw(`insert into users (id) values (?)`, [BEFORE]);
    await db.raw(`insert into tasks (user_id, title, description) values (?, 'Made before', 'with words to search')`, [
      BEFORE,
    ]);
    recordedBefore = await eventsOf(db, BEFORE);
    await db.migrate.up({ migrationSource, name: MIGRATION });
  });

  it('keeps the events recorded before it as they were', async () => {
    expect(await dataType(db)).to.equal('json');
    expect(recordedBefore.map(({ type }) => type)).to.deep.equal(['list.created', 'task.created']);
    expect(recordedBefore[1]!.data).to.include({ title: 'Made before', description: 'with words to search' });
    expect(await eventsOf(db, BEFORE)).to.deep.equal(recordedBefore);
  });

  it('records the rows as the jsonb form did, without the search vector, one event per task of a statement', async () => {
    await db.raw(`insert into users (id) values (?)`, [AFTER]);
    await db.raw(`insert into tasks (user_id, title) values (?, 'One'), (?, 'Two')`, [AFTER, AFTER]);
    await db.raw(
      `update tasks set completed = true, completed_at = now(), updated_at = now() where user_id = ? and title = 'One'`,
      [AFTER],
    );
    await db.raw(`update lists set name = 'Renamed' where user_id = ?`, [AFTER]);
    const events = await eventsOf(db, AFTER);
    expect(events.map(({ type }) => type)).to.deep.equal([
      'list.created',
      'task.created',
      'task.created',
      'task.completed',
      'list.updated',
    ]);
    expect(events.map(({ data }) => data.title ?? data.name)).to.deep.equal(['Inbox', 'One', 'Two', 'One', 'Renamed']);
    const { rows } = await db.raw<{ rows: { row: Record<string, unknown> }[] }>(
      `select to_jsonb(t) - 'search' as row from tasks t where user_id = ? and title = 'One'`,
      [AFTER],
    );
    const { search, ...completed } = events[3]!.data;
    expect(search).to.equal(null);
    expect(completed).to.deep.equal(rows[0]!.row);
  });

  it("takes a deleted user's events and their deliveries along, and no one else's", async () => {
    const user = 'user-deleted';
    await db.raw(`insert into users (id) values (?)`, [user]);
    await db.raw(
      `insert into webhooks (user_id, url, event_types, secret) values (?, 'https://example.com/hook', '{task.created}', 'secret')`,
      [user],
    );
    await db.raw(`insert into tasks (user_id, title) values (?, 'Gone with its user')`, [user]);
    const deliveries = async () =>
      Number(
        (await db('webhook_deliveries').where('user_id', user).count<{ count: string }[]>('* as count'))[0]!.count,
      );
    expect(await deliveries()).to.equal(1);
    const othersBefore = await db('events').whereNot('user_id', user).count<{ count: string }[]>('* as count');

    await db('users').where('id', user).delete();

    expect(await eventsOf(db, user)).to.deep.equal([]);
    expect(await deliveries()).to.equal(0);
    expect(await db('events').whereNot('user_id', user).count('* as count')).to.deep.equal(othersBefore);
  });

  it('goes down to the jsonb column and the foreign key, and up again', async () => {
    await db.migrate.down({ migrationSource, name: MIGRATION });
    expect(await dataType(db)).to.equal('jsonb');
    const user = 'user-round-trip';
    await db.raw(`insert into users (id) values (?)`, [user]);
    await db.raw(`insert into tasks (user_id, title) values (?, 'Made after down')`, [user]);
    const afterDown = await eventsOf(db, user);
    expect(afterDown.at(-1)!.data).to.not.have.property('search');
    await expectRejection(db.raw(`insert into events (user_id, seq, type, data) values ('nobody', 1, 'x', '{}')`));

    await db.migrate.up({ migrationSource, name: MIGRATION });
    expect(await dataType(db)).to.equal('json');
    expect(await eventsOf(db, user)).to.deep.equal(afterDown);
  });
});

async function expectRejection(promise: Promise<unknown>): Promise<void> {
  const outcome = await promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code,
  );
  expect(outcome).to.equal('23503');
}
