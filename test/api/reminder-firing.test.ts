import { expect } from 'chai';
import type { Knex } from 'knex';
import { TestClock } from 'pg-boss';
import { toEvent } from '../../src/events/event-representation.js';
import type { EventRow } from '../../src/events/events.store.js';
import { fireDueReminders } from '../../src/reminders/reminder-firing.js';
import { REMINDERS_QUEUE } from '../../src/reminders/reminder-wakeup.js';
import { TestUser, type Task } from '../helpers/api-client.js';
import { createTestDatabase, DATABASE_KINDS, type DatabaseKind, type TestDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { pollUntil } from '../helpers/wait.js';

// Reminders firing: the firing itself with the time given (fireDueReminders, as the job calls
// it), over databases of the file's own (a run fires every user's due reminders: those of other
// suites must not be touched), and the job on the engine, on pg-boss's TestClock: each reminder
// fires once per occurrence, in the transaction that records its event, on time.

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** An instant `ms` from `from`, to the second, in UTC (RFC 3339). */
const instantAfter = (ms: number, from = Date.now()) =>
  new Date(Math.ceil((from + ms) / SECOND) * SECOND).toISOString();

async function eventsOf(db: Knex, user: TestUser): Promise<EventRow[]> {
  return db('events').where('user_id', user.id).orderBy('seq').select('seq', 'type', 'data', 'created_at');
}

async function firedOf(db: Knex, user: TestUser) {
  return (await eventsOf(db, user)).filter((row) => row.type === 'reminder.fired').map(toEvent);
}

/** How many of the user's reminders have fired. */
const firedCount = async (db: Knex, user: TestUser) => (await firedOf(db, user)).length;

async function getTask(user: TestUser, id: number): Promise<Task> {
  const response = await user.call<Task>('GET', `/tasks/${id}`);
  expect(response.status).to.equal(200);
  return response.body;
}

for (const kind of DATABASE_KINDS) {
  describe(`reminders: firing, the time given [${kind}]`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let server: TestServer;
    const announced: string[] = [];
    // Every user's reminders due by then fire (those earlier tests left too): tests count their own user's.
    const fire = (now: number | string) => fireDueReminders(database.knex, new Date(now), (id) => announced.push(id));
    before(async () => {
      database = await createTestDatabase(kind);
      server = await startTestServer(database.knex);
    });
    after(async () => {
      await server?.close();
      await database?.close();
    });

    it('fires a reminder once, at its time: its event holds the task as fired and the reminder, after the task.updated', async () => {
      const alice = new TestUser(server.baseUrl);
      const first = instantAfter(10 * MINUTE);
      const second = instantAfter(20 * MINUTE);
      const task = await alice.createTask({ reminders: [{ at: first }, { at: second }] });
      await fire(Date.parse(first) - 1);
      expect(await firedCount(database.knex, alice)).to.equal(0);
      await fire(first);
      expect(await firedCount(database.knex, alice)).to.equal(1);
      expect(announced).to.include(alice.id);
      await fire(first);
      expect(await firedCount(database.knex, alice), 'fired already').to.equal(1);

      const fired = await getTask(alice, task.id);
      expect(fired.reminders.map((reminder) => reminder.fires_at)).to.deep.equal([null, second]);
      expect(fired.updated_at > task.updated_at, 'the firing is a change of the task').to.equal(true);
      const events = (await eventsOf(database.knex, alice)).map(toEvent);
      expect(events.map((event) => event.type)).to.deep.equal([
        'list.created',
        'task.created',
        'task.updated',
        'reminder.fired',
      ]);
      expect(events[3]!.data).to.deep.equal({ task: fired, reminder: fired.reminders[0] });
      expect(events[2]!.data).to.deep.equal({ task: fired });

      await fire(second);
      expect((await firedOf(database.knex, alice)).map((event) => event.data.reminder!.id)).to.deep.equal(
        task.reminders.map((reminder) => reminder.id),
      );
    });

    it('fires the reminders of a task that come due together in one change, an event each', async () => {
      const alice = new TestUser(server.baseUrl);
      const due = instantAfter(30 * MINUTE);
      const task = await alice.createTask({
        due_at: due,
        time_zone: 'UTC',
        reminders: [{ before_due: 'PT10M' }, { before_due: 'PT5M' }, { before_due: 'PT0S' }],
      });
      await fire(Date.parse(due) - 5 * MINUTE);
      const types = (await eventsOf(database.knex, alice)).map((row) => row.type);
      expect(types.slice(2)).to.deep.equal(['task.updated', 'reminder.fired', 'reminder.fired']);
      expect((await getTask(alice, task.id)).reminders.map((reminder) => reminder.fires_at)).to.deep.equal([
        null,
        null,
        new Date(due).toISOString(),
      ]);
    });

    it('never fires the reminders of a completed task or one in the trash; a reopened one fires what is still ahead', async () => {
      const alice = new TestUser(server.baseUrl);
      const at = instantAfter(40 * MINUTE);
      const done = await alice.createTask({ reminders: [{ at }] });
      const trashed = await alice.createTask({ reminders: [{ at }] });
      await alice.call('PATCH', `/tasks/${done.id}/complete`, { json: { completed: true } });
      await alice.call('DELETE', `/tasks/${trashed.id}`);
      await fire(at);
      expect(await firedCount(database.knex, alice)).to.equal(0);
      await alice.call('PATCH', `/tasks/${done.id}/complete`, { json: { completed: false } });
      await fire(at);
      expect((await firedOf(database.knex, alice)).map((event) => event.data.task!.id)).to.deep.equal([done.id]);
    });

    it('fires once per occurrence: the next occurrence of a series fires again, for its own due', async () => {
      const alice = new TestUser(server.baseUrl);
      const due = instantAfter(2 * 24 * 60 * MINUTE);
      const first = await alice.createTask({
        due_at: due,
        time_zone: 'Europe/Berlin',
        recurrence: { frequency: 'daily' },
        reminders: [{ before_due: 'PT1H' }],
      });
      const firstTime = first.reminders[0]!.fires_at!;
      await fire(firstTime);
      const done = await alice.call<Task>('PATCH', `/tasks/${first.id}/complete`, { json: { completed: true } });
      const next = await getTask(alice, done.body.next_occurrence_id!);
      const nextTime = next.reminders[0]!.fires_at!;
      expect(Date.parse(nextTime) - Date.parse(firstTime)).to.equal(24 * 60 * MINUTE);
      await fire(nextTime);
      await fire(nextTime);
      const fired = await firedOf(database.knex, alice);
      expect(fired.map((event) => [event.data.task!.id, event.data.reminder!.id])).to.deep.equal([
        [first.id, first.reminders[0]!.id],
        [next.id, first.reminders[0]!.id],
      ]);
    });

    it('fires many users’ reminders, batch after batch, each exactly once, even with several runs at once', async () => {
      const users = Array.from({ length: 4 }, () => new TestUser(server.baseUrl));
      const at = instantAfter(50 * MINUTE);
      const perUser = 40;
      for (const user of users)
        await Promise.all(
          Array.from({ length: perUser }, (_, i) =>
            user.createTask({ title: `T${i}`, reminders: [{ at }, { at: instantAfter(SECOND, Date.parse(at)) }] }),
          ),
        );
      const allFired = () =>
        database.knex('events').where('type', 'reminder.fired').count<{ count: string | number }[]>();
      const before = Number((await allFired())[0]!.count);
      const runs = await Promise.all([1, 2, 3].map(() => fire(Date.parse(at) + SECOND)));
      // What the runs say they fired is what they recorded.
      expect(runs.reduce((sum, count) => sum + count, 0)).to.equal(Number((await allFired())[0]!.count) - before);
      for (const user of users) {
        const fired = await firedOf(database.knex, user);
        const keys = fired.map((event) => `${event.data.task!.id}/${event.data.reminder!.id}`);
        expect(keys).to.have.length(perUser * 2);
        expect(new Set(keys).size, 'no reminder fired twice').to.equal(keys.length);
      }
    });

    if (kind !== 'pglite')
      it('skips a task whose row a writer holds, without waiting for it, and fires it once the writer is done', async () => {
        const alice = new TestUser(server.baseUrl);
        const at = instantAfter(60 * MINUTE);
        const task = await alice.createTask({ reminders: [{ at }] });
        const writer = await database.knex.transaction();
        try {
          await writer('tasks').where({ user_id: alice.id, id: task.id }).forUpdate().select('id');
          await fire(at);
          expect(await firedCount(database.knex, alice)).to.equal(0);
        } finally {
          await writer.commit();
        }
        await fire(at);
        expect(await firedCount(database.knex, alice)).to.equal(1);
      });
  });
}

/** The kinds the job engine runs on with a TestClock (through a transaction pooler, a session setting does not stay). */
const ENGINE_KINDS = DATABASE_KINDS.filter((kind): kind is Exclude<DatabaseKind, 'pgbouncer'> => kind !== 'pgbouncer');

for (const kind of ENGINE_KINDS) {
  describe(`reminders: firing as a job of the engine, on pg-boss's TestClock [${kind}]`, function () {
    this.timeout(120_000);
    let database: TestDatabase;
    let server: TestServer | undefined;
    let clock: TestClock;
    before(async () => {
      database = await createTestDatabase(kind);
    });
    // Each test with a clock of its own, started now: the API arms reminders by the real time.
    beforeEach(() => {
      clock = new TestClock();
    });
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });
    after(async () => database?.close());

    const startServer = async () => (server = await startTestServer(database.knex, { background: { kind, clock } }));
    const wakeUps = (at: string) =>
      database.knex('pgboss.job').where({ name: REMINDERS_QUEUE, singleton_key: String(Date.parse(at) / SECOND) });

    /** Moves the clock to `at`, then on by one polling interval: the workers look for jobs come due. */
    const reach = async (at: string | number) => {
      await clock.setTime(new Date(at).getTime());
      await clock.tick(SECOND);
    };

    it('fires a reminder set for the next minutes on time: not before its second, within a polling interval after', async () => {
      const alice = new TestUser((await startServer()).baseUrl);
      const at = instantAfter(2 * MINUTE);
      // Three tasks armed for the same second: one wake-up.
      for (let i = 0; i < 3; i++) await alice.createTask({ reminders: [{ at }] });
      await pollUntil(async () => (await wakeUps(at)).length === 1, 'the wake-up job of the reminders’ second');
      await reach(Date.parse(at) - 2 * SECOND);
      expect(await firedOf(database.knex, alice)).to.deep.equal([]);
      await reach(at);
      await pollUntil(async () => (await firedOf(database.knex, alice)).length === 3, 'the three reminders to fire');
      expect(await wakeUps(at)).to.have.length(1);
    });

    it('fires a reminder hours away on time too: each run asks for a wake-up at the next one pending', async () => {
      const alice = new TestUser((await startServer()).baseUrl);
      const soon = instantAfter(2 * MINUTE);
      const later = instantAfter(5 * 60 * MINUTE);
      await alice.createTask({ reminders: [{ at: soon }, { at: later }] });
      expect(await wakeUps(later), 'too far for the write to ask').to.have.length(0);
      await reach(soon);
      await pollUntil(async () => (await firedOf(database.knex, alice)).length === 1, 'the first reminder to fire');
      await pollUntil(async () => (await wakeUps(later)).length === 1, 'the wake-up the run asked for');
      await reach(Date.parse(later) - 2 * SECOND);
      expect(await firedOf(database.knex, alice)).to.have.length(1);
      await reach(later);
      await pollUntil(async () => (await firedOf(database.knex, alice)).length === 2, 'the second reminder to fire');
    });

    it('a process that starts fires what came due while none ran, and asks for a wake-up at the next', async () => {
      // Written through a server that runs no job and sends no wake-up (as when no process runs the jobs).
      const quiet = await startTestServer(database.knex);
      const alice = new TestUser(quiet.baseUrl);
      const missed = instantAfter(3 * MINUTE);
      const next = instantAfter(20 * MINUTE);
      try {
        await alice.createTask({ reminders: [{ at: missed }, { at: next }] });
      } finally {
        await quiet.close();
      }
      await clock.setTime(Date.parse(missed) + 5 * MINUTE);
      await startServer();
      await clock.tick(SECOND);
      await pollUntil(async () => (await firedOf(database.knex, alice)).length === 1, 'the missed reminder to fire');
      await pollUntil(async () => (await wakeUps(next)).length === 1, 'the wake-up at the next one');
      await reach(next);
      await pollUntil(async () => (await firedOf(database.knex, alice)).length === 2, 'the next one to fire');
    });
  });
}
