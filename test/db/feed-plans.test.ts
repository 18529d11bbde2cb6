import { expect } from 'chai';
import type { Knex } from 'knex';
import { feedQuery } from '../../src/changes/changes.store.js';
import type { ListFilters } from '../../src/tasks/list-query.js';
import { listTasksQuery } from '../../src/tasks/tasks.store.js';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.js';
import { planNodes, seededPostgresDatabase } from '../helpers/query-plans.js';

// Issue 16's reads walk an index on PostgreSQL, with 10,000 tasks for one user (in 5 lists, a
// tenth of them in the trash, some purged: tombstones) and as many for others: the changes feed
// (after a token in the middle of the history, and the snapshot) and a list's tasks in manual
// order. The trash's listing is test/db/trash-plans.test.ts's, on the query the service runs.

const USER = 'fed-user';
const USER_TASKS = 10_000;
const OTHERS = 10;
const OTHERS_TASKS = 10_000;
const LISTS = 5;

const SEED = [
  `insert into users (id) select '${USER}' union all select 'other-' || g from generate_series(1, ${OTHERS}) g`,
  `insert into lists (user_id, name, is_default)
   select '${USER}', case when g = 0 then 'Inbox' else 'List ' || g end, g = 0 from generate_series(0, ${LISTS - 1}) g`,
  `insert into tasks (user_id, title, list_id)
   select '${USER}', 'task ' || g,
          (select id from lists where user_id = '${USER}' and name = case when g % ${LISTS} = 0 then 'Inbox' else 'List ' || g % ${LISTS} end)
     from generate_series(1, ${USER_TASKS}) g`,
  `insert into tasks (user_id, title)
   select 'other-' || (g % ${OTHERS} + 1), 'theirs ' || g from generate_series(1, ${OTHERS_TASKS}) g`,
  `update tasks set deleted_at = now() - (id % 100) * interval '1 minute', trash_root = id
    where user_id = '${USER}' and id % 10 = 0`,
  `delete from tasks where user_id = '${USER}' and id % 50 = 0`,
  'analyze',
];

const NO_FILTERS: ListFilters = {
  listId: null,
  parentId: null,
  completion: 'all',
  priorities: [],
  tags: [],
  dueAfter: null,
  dueBefore: null,
  overdue: null,
  search: null,
};

const describePostgres = DATABASE_KINDS.includes('postgres') ? describe : describe.skip;

describePostgres(
  'issue 16 query plans on PostgreSQL (10,000 tasks for the user in 5 lists, 10,000 for others)',
  function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let knex: Knex;
    before(async () => {
      database = await seededPostgresDatabase(SEED);
      knex = database.knex;
    });
    after(async () => database?.close());

    /** No sequential scan of tasks; the indexes the plan reads, and whether it sorts (an incremental sort is not one). */
    async function planOf(statement: {
      sql: string;
      bindings: readonly unknown[];
    }): Promise<{ indexes: string[]; sorted: boolean }> {
      const nodes = await planNodes(knex, statement);
      const summary = JSON.stringify(
        nodes.map((node) => [node['Node Type'], node['Relation Name'], node['Index Name']]),
      );
      expect(
        nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'tasks'),
        summary,
      ).to.be.empty;
      return {
        indexes: nodes.flatMap((node) => (node['Index Name'] ? [node['Index Name']] : [])),
        sorted: nodes.some((node) => node['Node Type'] === 'Sort'),
      };
    }

    async function middleOfHistory(): Promise<number> {
      const { rows } = await knex.raw<{ rows: { low: number; high: number }[] }>(
        'select min(change_seq) as low, max(change_seq) as high from tasks where user_id = ?',
        [USER],
      );
      const { low, high } = rows[0]!;
      expect(high - low).to.be.above(USER_TASKS / 2);
      return Math.floor((low + high) / 2);
    }

    it('the feed after a token in the middle walks the tasks and tombstones by number', async () => {
      const since = await middleOfHistory();
      // (Its branches are cut at the limit each, and only those rows are merged and sorted.)
      const { indexes } = await planOf(feedQuery(knex, USER, { since, limit: 101 }).toSQL());
      expect(indexes).to.include.members(['tasks_user_change_idx', 'change_tombstones_pkey']);
    });

    it('the snapshot walks the tasks by number', async () => {
      const { indexes } = await planOf(feedQuery(knex, USER, { since: undefined, limit: 101 }).toSQL());
      expect(indexes).to.include('tasks_user_change_idx');
    });

    it("a list's tasks in manual order walk tasks_top_position_idx in order", async () => {
      const [work] = await knex('lists').where({ user_id: USER, name: 'List 1' }).select<{ id: number }[]>('id');
      const query = listTasksQuery(knex, USER, {
        filters: { ...NO_FILTERS, listId: work!.id },
        sort: 'position',
        direction: 'asc',
        limit: 51,
      });
      expect(await planOf(query.toSQL())).to.deep.equal({ indexes: ['tasks_top_position_idx'], sorted: false });
    });
  },
);
