import { expect } from 'chai';
import type { Knex } from 'knex';
import {
  RELEVANCE_CANDIDATES,
  type Direction,
  type ListFilters,
  type ListQuery,
  type SortName,
} from '../../src/tasks/list-query.js';
import { listTasksQuery } from '../../src/tasks/tasks.store.js';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.js';
import { planNodes, type PlanNode, seededPostgresDatabase } from '../helpers/query-plans.js';

// Every list query the store builds uses an index on PostgreSQL, with 50,000 tasks for one user
// (issue 13's search attack) and 20,000 for others: the plans of the exact SQL listTasks runs
// (EXPLAIN of its query builder), for every filter and every sort, on a first page and after a
// cursor; and relevance ranks no more than its bounded candidate set.

const USER = 'planned-user';
const USER_TASKS = 50_000;
const OTHERS = 20;
const OTHERS_TASKS = 20_000;

/**
 * Varied enough that every filter and sort has something to choose from: `rare` tags and words
 * are 1 in 500; half the tasks are due, over the next ten years, a few of them already overdue.
 */
const SEED = [
  `insert into users (id) select '${USER}' union all select 'other-' || g from generate_series(1, ${OTHERS}) g`,
  `insert into tasks (user_id, title, description, completed, completed_at, priority, tags, due_date, due_key, overdue_at, created_at, updated_at)
   select case when g <= ${USER_TASKS} then '${USER}' else 'other-' || (g % ${OTHERS} + 1) end,
          (array['Plan the trip', 'buy milk', 'Write the report', 'call the plumber', 'review budget'])[g % 5 + 1] || ' ' || g,
          case when g % 500 = 0 then 'a rare zeppelin' when g % 3 = 0 then 'planning notes ' || g end,
          g % 4 = 0, case when g % 4 = 0 then now() end,
          g % 4,
          case when g % 500 = 1 then '{rare}' else (array['{work}', '{home,errand}', '{work,urgent}', '{}'])[g % 4 + 1] end::text[],
          due, due::timestamptz, due::timestamptz + interval '1 day',
          now() - g * interval '1 minute', now() - (g % 997) * interval '1 minute'
   from generate_series(1, ${USER_TASKS + OTHERS_TASKS}) g
   cross join lateral (select case when g % 2 = 0 then current_date - 30 + g % 3500 end as due) d`,
  'analyze tasks',
];

const DAY_MS = 86_400_000;
const daysFromNow = (days: number) => new Date(Date.now() + days * DAY_MS);

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
const SORTS: Exclude<SortName, 'relevance' | 'position'>[] = ['created_at', 'updated_at', 'due', 'priority', 'title'];
const DIRECTIONS: Direction[] = ['asc', 'desc'];

/** A cursor position in the middle of the user's list, for each sort. */
const MIDDLE: Record<SortName, ListQuery['after']> = {
  created_at: { value: new Date(Date.now() - 25_000 * 60_000), id: 25_000 },
  updated_at: { value: new Date(Date.now() - 500 * 60_000), id: 25_000 },
  due: { value: daysFromNow(300), id: 25_000 },
  priority: { value: 2, id: 25_000 },
  title: { value: 'call the plumber 25000', id: 25_000 },
  position: { value: 'a0', id: 25_000 },
  // Candidates among tasks up to id 40,000: the 1,000 newest of those, past the newest 10,000.
  relevance: { value: 0.05, id: 25_000, candidatesUpTo: 40_000 },
};

/** The index each sort walks in order (created_at: the first migration's). */
const SORT_INDEXES: Record<Exclude<SortName, 'relevance' | 'position'>, Record<Direction, string>> = {
  created_at: { asc: 'tasks_user_created_idx', desc: 'tasks_user_created_idx' },
  updated_at: { asc: 'tasks_user_updated_idx', desc: 'tasks_user_updated_idx' },
  due: { asc: 'tasks_user_due_asc_idx', desc: 'tasks_user_due_desc_idx' },
  priority: { asc: 'tasks_user_priority_idx', desc: 'tasks_user_priority_idx' },
  title: { asc: 'tasks_user_title_idx', desc: 'tasks_user_title_idx' },
};

/** Each filter alone and all together; a selective one names the index that must serve it. */
const FILTERS: [string, Partial<ListFilters>, string?][] = [
  ['status=open', { completion: 'open' }],
  ['status=completed', { completion: 'completed' }, 'tasks_user_completed_created_idx'],
  ['priority=high', { priorities: [3] }],
  ['priority=low,medium', { priorities: [1, 2] }],
  ['tag=work', { tags: ['work'] }],
  ['tag=rare', { tags: ['rare'] }, 'tasks_tags_idx'],
  ['tag=work&tag=urgent', { tags: ['work', 'urgent'] }],
  ['due_after', { dueAfter: daysFromNow(3465) }, 'tasks_user_due_desc_idx'],
  ['due_before', { dueBefore: daysFromNow(-20) }, 'tasks_user_due_asc_idx'],
  ['due window', { dueAfter: daysFromNow(100), dueBefore: daysFromNow(107) }, 'tasks_user_due_desc_idx'],
  ['overdue=true', { overdue: true }, 'tasks_user_overdue_idx'],
  ['overdue=false', { overdue: false }],
  ['q=plan', { search: 'plan' }],
  ['q=zeppelin', { search: 'zeppelin' }, 'tasks_search_idx'],
  [
    'everything at once',
    {
      completion: 'open',
      priorities: [2, 3],
      tags: ['work'],
      dueAfter: daysFromNow(30),
      overdue: false,
      search: 'report',
    },
  ],
];

/** The plan's nodes; `analyze` runs the query, for the rows each node really produced. */
function planOf(knex: Knex, query: ListQuery, options = ''): Promise<PlanNode[]> {
  return planNodes(knex, listTasksQuery(knex, USER, query).toSQL(), options);
}

const describePostgres = DATABASE_KINDS.includes('postgres') ? describe : describe.skip;

describePostgres('list query plans on PostgreSQL (50,000 tasks for the user, 20,000 for others)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  before(async () => {
    database = await seededPostgresDatabase(SEED);
  });
  after(async () => database?.close());

  /** No sequential scan of tasks, and at least one index of tasks read; returns the indexes read. */
  async function expectIndexed(query: ListQuery): Promise<{ indexes: string[]; sorted: boolean }> {
    const nodes = await planOf(database.knex, query);
    const summary = JSON.stringify(nodes.map((node) => [node['Node Type'], node['Index Name']]));
    expect(
      nodes.filter((node) => node['Node Type'] === 'Seq Scan'),
      summary,
    ).to.be.empty;
    const indexes = nodes.flatMap((node) => (node['Index Name'] ? [node['Index Name']] : []));
    expect(indexes, summary).not.to.be.empty;
    return { indexes, sorted: nodes.some((node) => node['Node Type'] === 'Sort') };
  }

  for (const sort of SORTS) {
    for (const direction of DIRECTIONS) {
      for (const page of ['first page', 'after a cursor'] as const) {
        it(`sort=${sort}&order=${direction}, ${page}: walks ${SORT_INDEXES[sort][direction]} in order`, async () => {
          const after = page === 'first page' ? undefined : MIDDLE[sort];
          const plan = await expectIndexed({ filters: NO_FILTERS, sort, direction, limit: 51, after });
          expect(plan.indexes).to.deep.equal([SORT_INDEXES[sort][direction]]);
          expect(plan.sorted, 'no sort step: the index gives the order').to.equal(false);
        });
      }
    }
  }

  for (const [name, filters, index] of FILTERS) {
    for (const sort of [...SORTS, ...(filters.search ? (['relevance'] as const) : [])]) {
      it(`${name}, sort=${sort}: uses an index`, async () => {
        await expectIndexed({ filters: { ...NO_FILTERS, ...filters }, sort, direction: 'desc', limit: 51 });
        await expectIndexed({
          filters: { ...NO_FILTERS, ...filters },
          sort,
          direction: 'asc',
          limit: 51,
          after: MIDDLE[sort],
        });
      });
    }
    if (index) {
      it(`${name} is served by ${index}`, async () => {
        const plan = await expectIndexed({
          filters: { ...NO_FILTERS, ...filters },
          sort: 'created_at',
          direction: 'desc',
          limit: 51,
        });
        expect(plan.indexes).to.include(index);
      });
    }
  }

  // However many of the user's tasks match, relevance ranks at most RELEVANCE_CANDIDATES of them:
  // run (EXPLAIN ANALYZE VERBOSE), no node computes a rank for more rows than that, and the
  // candidates are a limit of that size (the newest matches, found through an index above).
  for (const [page, direction, after] of [
    ['first page', 'desc', undefined],
    ['after a cursor', 'asc', MIDDLE.relevance],
  ] as const) {
    it(`q=plan, sort=relevance, ${page}: ranks ${RELEVANCE_CANDIDATES} candidates, not every match`, async () => {
      const counted = await database
        .knex('tasks')
        .where('user_id', USER)
        .whereRaw("search @@ websearch_to_tsquery('english', 'plan')")
        .count({ matches: '*' });
      expect(Number(counted[0]?.matches)).to.be.above(10 * RELEVANCE_CANDIDATES);
      const query: ListQuery = {
        filters: { ...NO_FILTERS, search: 'plan' },
        sort: 'relevance',
        direction,
        limit: 51,
        after,
      };
      const nodes = await planOf(database.knex, query, 'analyze, verbose, ');
      const ranking = nodes.filter((node) => node.Output?.some((output) => output.includes('ts_rank(')));
      expect(ranking, 'some node ranks').not.to.be.empty;
      for (const node of ranking) {
        expect(node['Actual Rows']! * node['Actual Loops']!, node['Node Type']).to.be.at.most(RELEVANCE_CANDIDATES);
      }
      expect(nodes.filter((node) => node['Node Type'] === 'Limit').map((node) => node['Plan Rows'])).to.include(
        RELEVANCE_CANDIDATES,
      );
    });
  }
});
