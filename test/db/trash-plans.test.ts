import { expect } from 'chai';
import { listTrashItemsQuery, type TrashPosition } from '../../src/trash/trash.store.js';
import { planNodes, seededPostgresDatabase } from '../helpers/query-plans.js';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.js';

// The trash's page query uses its index on PostgreSQL, with 40,000 tasks for the user of which
// 10,000 in the trash (2,500 items of four tasks each): the items in order from
// tasks_user_trash_idx (no sort step, no scan of the user's tasks), each item's count from
// tasks_user_trash_root_idx.

const USER = 'trash-planned-user';
const TASKS = 40_000;

const SEED = [
  `insert into users (id) values ('${USER}')`,
  `select default_list_of('${USER}')`,
  // Without the tasks triggers (a row at a time, each a new version of the user's clock, they
  // would take minutes): the rows are written whole. Every 4th task from 30,001 on is an item,
  // deleted a minute after the one before; the three after it went with it.
  'set session_replication_role = replica',
  `insert into tasks (user_id, title, list_id, position, change_seq, deleted_at, trash_root)
   select '${USER}', 'Task ' || g, (select id from lists where user_id = '${USER}'), fi_integer_key(g), g,
          case when g > 30000 then now() - ((g - 30001) / 4) * interval '1 minute' end,
          case when g > 30000 then g - (g - 30001) % 4 end
   from generate_series(1, ${TASKS}) g`,
  'set session_replication_role = origin',
  'analyze tasks',
];

const describePostgres = DATABASE_KINDS.includes('postgres') ? describe : describe.skip;

describePostgres('trash query plans on PostgreSQL (10,000 of 40,000 tasks in the trash)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  before(async () => {
    database = await seededPostgresDatabase(SEED);
  });
  after(async () => database?.close());

  for (const [page, after] of [
    ['first page', undefined],
    ['after a cursor', { deletedAt: new Date(Date.now() - 1000 * 60_000), id: 34_001 }],
  ] as [string, TrashPosition | undefined][]) {
    it(`${page}: walks tasks_user_trash_idx in order, counting through tasks_user_trash_root_idx`, async () => {
      const nodes = await planNodes(
        database.knex,
        listTrashItemsQuery(database.knex, USER, { limit: 51, after }).toSQL(),
      );
      const summary = JSON.stringify(nodes.map((node) => [node['Node Type'], node['Index Name']]));
      expect(
        nodes.filter((node) => ['Seq Scan', 'Sort'].includes(node['Node Type'])),
        summary,
      ).to.be.empty;
      expect(
        nodes.flatMap((node) => node['Index Name'] ?? []),
        summary,
      ).to.have.members(['tasks_user_trash_idx', 'tasks_user_trash_root_idx']);
    });
  }
});
