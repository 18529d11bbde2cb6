import { expect } from 'chai';
import type { Knex } from 'knex';
import { migratePostgres } from '../../src/db/database.js';
import { ADMIN_BOUNDS, adminKnex, createEmptyPostgresDatabase, DATABASE_KINDS } from '../helpers/databases.js';
import { cleanUpProcesses, startServerUntil, type StartingServer } from '../helpers/server-process.js';
import { EVENT_BOUND_MS, EXIT_BOUND_MS, pollUntil, PROCESS_TEST_TIMEOUT_MS } from '../helpers/wait.js';

// Issue 17, item 6: a worker process (`make worker`) killed with SIGKILL in the middle of firing
// reminders leaves nothing half done, and the workers started after it fire every due reminder
// exactly once. The database holds many reminders already due; the first worker starts firing
// them at once (a process that starts catches up), and is killed once some have fired but not
// all ("some" read from the database's committed events, not guessed from a clock). Two workers
// then start together and finish; every reminder must have exactly one `reminder.fired` event,
// and none may be left pending.

const USERS = 20;
const TASKS_PER_USER = 250;
/** Two reminders per task, both due. */
const REMINDERS = USERS * TASKS_PER_USER * 2;

/** The reminders as the API stores them (src/reminders/reminder-schedule.ts), due a minute ago. */
const SEED = [
  `insert into users (id) select 'killed-worker-' || u from generate_series(1, ${USERS}) u`,
  `insert into tasks (user_id, title, reminders)
   select 'killed-worker-' || u, 'Task ' || t,
          (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'at', due, 'before_due', null, 'time', null,
                                               'scheduled', due, 'fires_at', due))
             from (select to_char((now() - interval '1 minute' - r * interval '1 second') at time zone 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as due
                     from generate_series(1, 2) r) as reminder)
     from generate_series(1, ${USERS}) u, generate_series(1, ${TASKS_PER_USER}) t`,
];

const describePostgres = DATABASE_KINDS.includes('postgres') ? describe : describe.skip;

async function firedCount(db: Knex): Promise<number> {
  const [row] = await db('events').where('type', 'reminder.fired').count<{ count: string }[]>('* as count');
  return Number(row!.count);
}

function startWorker(url: string): Promise<StartingServer> {
  // A worker logs this once its jobs run; the first run (the start-up one) may be firing already.
  return startServerUntil('worker running the background jobs', {
    script: 'src/worker.ts',
    env: { DATABASE_URL: url, LOG_LEVEL: 'info' },
  });
}

describePostgres('reminders: a worker killed (SIGKILL) while firing', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  let drop: (() => Promise<void>) | undefined;
  let db: Knex | undefined;
  afterEach(async () => {
    await cleanUpProcesses();
    await db?.destroy();
    await drop?.();
  });

  it('leaves nothing half done: the workers after it fire every due reminder exactly once', async () => {
    const created = await createEmptyPostgresDatabase('todo_reminder_kill');
    drop = created.drop;
    await migratePostgres(created.url, ADMIN_BOUNDS);
    db = adminKnex(created.url, 2);
    for (const statement of SEED) await db.raw(statement);
    const pending = await db('tasks').whereNotNull('next_reminder_at').count<{ count: string }[]>('* as count');
    expect(Number(pending[0]!.count)).to.equal(USERS * TASKS_PER_USER);

    const first = await startWorker(created.url);
    // Killed as soon as a batch has committed, while the others are still to fire.
    let seen = 0;
    await pollUntil(
      async () => {
        seen = await firedCount(db!);
        return seen > 0;
      },
      'the first reminders to fire',
      { ms: EVENT_BOUND_MS, everyMs: 5 },
    );
    first.signal('SIGKILL');
    const killedAt = Date.now();
    const exit = await first.waitForExit(EXIT_BOUND_MS);
    expect(exit.signal).to.equal('SIGKILL');
    // What the killed worker committed; its batch in flight rolled back with its connection.
    const firedBeforeKill = await firedCount(db);
    expect(firedBeforeKill, `${seen} seen before the kill`).to.be.above(0).and.below(REMINDERS);

    await Promise.all([startWorker(created.url), startWorker(created.url)]);
    const startedMs = Date.now() - killedAt;
    await pollUntil(async () => (await firedCount(db!)) >= REMINDERS, 'every reminder to fire', {
      ms: EVENT_BOUND_MS,
      everyMs: 50,
    });
    const recoveredMs = Date.now() - killedAt;

    const perReminder = await db.raw<{ rows: { fired: string; reminders: string; duplicated: string }[] }>(
      `select count(*) as fired, count(distinct (data->'task'->>'id', data->'reminder'->>'id')) as reminders,
              count(*) - count(distinct (data->'task'->>'id', data->'reminder'->>'id')) as duplicated
         from events where type = 'reminder.fired'`,
    );
    const { fired, reminders, duplicated } = perReminder.rows[0]!;
    const stillPending = await db('tasks').whereNotNull('next_reminder_at').count<{ count: string }[]>('* as count');
    console.log(
      `      reminders due: ${REMINDERS} (${USERS} users, ${TASKS_PER_USER} tasks each, 2 reminders per task); ` +
        `fired before the SIGKILL: ${firedBeforeKill}; fired after it by two new workers: ${Number(fired) - firedBeforeKill}; ` +
        `duplicates: ${duplicated}; still pending: ${stillPending[0]!.count}; ` +
        `time from the kill until every reminder had fired: ${recoveredMs} ms ` +
        `(${startedMs} ms until both new workers had started, which the tests' loaded machine makes slow)`,
    );
    expect(Number(fired)).to.equal(REMINDERS);
    expect(Number(reminders)).to.equal(REMINDERS);
    expect(Number(duplicated)).to.equal(0);
    expect(Number(stillPending[0]!.count)).to.equal(0);
    // Each fired reminder's task shows it fired.
    const unfired = await db.raw<{ rows: unknown[] }>(
      `select 1 from tasks, jsonb_array_elements(reminders) as reminder where reminder->>'fires_at' is not null`,
    );
    expect(unfired.rows).to.have.length(0);
  });
});
