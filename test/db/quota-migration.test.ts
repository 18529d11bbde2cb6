import { expect } from 'chai';
import type { Knex } from 'knex';
import { migrationSource } from '../../src/db/migration-source.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../helpers/databases.js';

// The migration to per-user quotas, on a database that already holds tasks: it counts every
// user's tasks and bytes once (the triggers keep the count from then on), and goes down and up
// again. Then the database's own refusal, as the statements of src/quotas/task-quotas.ts meet it.

const MIGRATION = '20261213000000_user_usage.ts';

type HeldTask = { title: string; description: string | null; tags: string[] };

const HELD: Record<string, HeldTask[]> = {
  'quota-many': [
    { title: 'Plain', description: null, tags: [] },
    { title: 'Café ☕', description: 'Ünïcödé', tags: ['größe', 'x'] },
    { title: '€'.repeat(200), description: '€'.repeat(5000), tags: ['€'.repeat(40)] },
  ],
  'quota-one': [{ title: 'One', description: 'd', tags: ['t'] }],
  'quota-none': [],
};

const bytesOf = ({ title, description, tags }: HeldTask) =>
  [title, description ?? '', ...tags].reduce((sum, text) => sum + Buffer.byteLength(text), 0);

/** Each user's count as user_usage holds it (summed over its stripes). */
async function counted(db: Knex): Promise<Record<string, { tasks: number; bytes: number }>> {
  const rows: { user_id: string; tasks: number; bytes: number }[] = await db('user_usage')
    .select('user_id', db.raw('sum(tasks)::int as tasks'), db.raw('sum(stored_bytes)::int as bytes'))
    .groupBy('user_id');
  return Object.fromEntries(rows.map(({ user_id, tasks, bytes }) => [user_id, { tasks, bytes }]));
}

/** What each user really holds. */
function expected(extra: Record<string, { tasks: number; bytes: number }> = {}): Record<string, unknown> {
  const held = Object.entries(HELD)
    .filter(([, tasks]) => tasks.length > 0)
    .map(
      ([user, tasks]) =>
        [user, { tasks: tasks.length, bytes: tasks.reduce((sum, task) => sum + bytesOf(task), 0) }] as const,
    );
  return { ...Object.fromEntries(held), ...extra };
}

for (const kind of new Set(DATABASE_KINDS.map((each) => (each === 'pgbouncer' ? 'postgres' : each)))) {
  describe(`the quotas migration [${kind}]`, function () {
    this.timeout(60_000);
    let database: TestDatabase | undefined;
    let db: Knex;
    before(async () => {
      database = await createTestDatabase(kind);
      db = database.knex;
      await db.migrate.down({ migrationSource, name: MIGRATION });
      for (const [user, tasks] of Object.entries(HELD)) {
        await db('users').insert({ id: user });
        for (const task of tasks) await db('tasks').insert({ user_id: user, ...task });
      }
      await db.migrate.up({ migrationSource, name: MIGRATION });
    });
    after(async () => database?.close());

    it("counts every existing user's tasks and their UTF-8 bytes; a user without tasks has no count", async () => {
      expect(await counted(db)).to.deep.equal(expected());
      const stored: { title: string; description: string | null; tags: string[]; stored_bytes: number }[] = await db(
        'tasks',
      ).select('title', 'description', 'tags', 'stored_bytes');
      for (const task of stored) expect(task.stored_bytes, task.title).to.equal(bytesOf(task));
    });

    it('keeps the count from then on, whoever writes', async () => {
      const [task] = await db('tasks')
        .insert({ user_id: 'quota-none', title: 'First ✓' })
        .returning<{ id: number }[]>('id');
      await db('tasks').where({ user_id: 'quota-one' }).update({ description: 'longer' });
      expect(await counted(db)).to.deep.equal(
        expected({
          'quota-none': { tasks: 1, bytes: Buffer.byteLength('First ✓') },
          'quota-one': { tasks: 1, bytes: bytesOf({ title: 'One', description: 'longer', tags: ['t'] }) },
        }),
      );
      await db('tasks').where({ id: task!.id }).delete();
      await db('tasks').where({ user_id: 'quota-one' }).update({ description: 'd' });
      expect(await counted(db)).to.deep.equal(expected({ 'quota-none': { tasks: 0, bytes: 0 } }));
    });

    it('refuses, within the statement, a write past a limit it is given: SQLSTATE QT001 naming the quota', async () => {
      const insert = (title: string) =>
        db('tasks')
          .insert({ user_id: db.raw('quota_scope(?, ?, ?)', ['quota-many', 3, null]), title })
          .catch((error: unknown) => error);
      const error = (await insert('Fourth')) as { code?: string; detail?: string };
      expect(error.code).to.equal('QT001');
      expect(JSON.parse(error.detail!)).to.deep.equal({ name: 'tasks', limit: 3, used: 3 });
      expect(await counted(db)).to.deep.equal(expected({ 'quota-none': { tasks: 0, bytes: 0 } }));
    });

    it('goes down and up again, counting anew', async () => {
      await db.migrate.down({ migrationSource, name: MIGRATION });
      expect(await db.schema.hasTable('user_usage')).to.equal(false);
      expect(await db.schema.hasColumn('tasks', 'stored_bytes')).to.equal(false);
      await db.migrate.up({ migrationSource, name: MIGRATION });
      expect(await counted(db)).to.deep.equal(expected());
    });
  });
}
