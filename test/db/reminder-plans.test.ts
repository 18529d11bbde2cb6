import { expect } from 'chai';
import { dueTasksQuery, nextReminderQuery } from '../../src/reminders/reminders.store.js';
import { planNodes, type PlanNode, seededPostgresDatabase } from '../helpers/query-plans.js';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.js';

// The firing job's lookups use their partial index on PostgreSQL, with 100,000 tasks of 20 users
// of which 5,000 have a reminder pending (a hundred of them due): the due tasks come in order
// from tasks_next_reminder_idx (no sort, no scan of the tasks), and so does the next one pending.

const USERS = 20;
const TASKS = 100_000;

const SEED = [
  `insert into users (id) select 'reminder-planned-' || u from generate_series(1, ${USERS}) u`,
  `select default_list_of('reminder-planned-' || u) from generate_series(1, ${USERS}) u`,
  // Without the tasks triggers (a row at a time they would take minutes): the rows are written
  // whole. Every 20th task has a reminder pending, a minute apart: the first hundred are due.
  'set session_replication_role = replica',
  `insert into tasks (user_id, title, list_id, position, change_seq, reminders, next_reminder_at)
   select 'reminder-planned-' || (g % ${USERS} + 1), 'Task ' || g,
          (select id from lists where user_id = 'reminder-planned-' || (g % ${USERS} + 1)), fi_integer_key(g), g,
          case when g % 20 = 0 then '[{"id": "r"}]'::jsonb else '[]' end,
          case when g % 20 = 0 then now() + (g / 20 - 100) * interval '1 minute' end
   from generate_series(1, ${TASKS}) g`,
  'set session_replication_role = origin',
  'analyze tasks',
];

const describePostgres = DATABASE_KINDS.includes('postgres') ? describe : describe.skip;

const summaryOf = (nodes: PlanNode[]) => JSON.stringify(nodes.map((node) => [node['Node Type'], node['Index Name']]));

describePostgres('reminder query plans on PostgreSQL (5,000 of 100,000 tasks with a reminder pending)', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  before(async () => {
    database = await seededPostgresDatabase(SEED);
  });
  after(async () => database?.close());

  it('the due tasks: walks tasks_next_reminder_idx in order, locking as it goes, and reads only the due ones', async () => {
    const query = dueTasksQuery(database.knex, new Date(), 50).toSQL();
    const nodes = await planNodes(database.knex, query);
    const summary = summaryOf(nodes);
    expect(
      nodes.filter((node) => ['Seq Scan', 'Sort', 'Bitmap Heap Scan'].includes(node['Node Type'])),
      summary,
    ).to.be.empty;
    expect(
      nodes.map((node) => node['Node Type']),
      summary,
    ).to.include.members(['Limit', 'LockRows']);
    expect(
      nodes.flatMap((node) => node['Index Name'] ?? []),
      summary,
    ).to.deep.equal(['tasks_next_reminder_idx']);
    // Run: a batch of 50 reads 50 index entries, not the 5,000 pending.
    const analyzed = await database.knex.transaction(async (trx) =>
      planNodes(trx, dueTasksQuery(trx, new Date(), 50).toSQL(), 'analyze, '),
    );
    const scan = analyzed.find((node) => node['Index Name'] === 'tasks_next_reminder_idx')!;
    expect(scan['Actual Rows'], summaryOf(analyzed)).to.equal(50);
  });

  it('the next reminder pending: the first entry of tasks_next_reminder_idx', async () => {
    const nodes = await planNodes(database.knex, nextReminderQuery(database.knex).toSQL());
    const summary = summaryOf(nodes);
    expect(
      nodes.filter((node) => ['Seq Scan', 'Sort'].includes(node['Node Type'])),
      summary,
    ).to.be.empty;
    expect(
      nodes.flatMap((node) => node['Index Name'] ?? []),
      summary,
    ).to.deep.equal(['tasks_next_reminder_idx']);
  });
});
