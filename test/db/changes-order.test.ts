import { expect } from 'chai';
import type { Knex } from 'knex';
import { toList } from '../../src/lists/list-representation.js';
import { LIST_COLUMNS, type ListRow } from '../../src/lists/lists.store.js';
import { toTask } from '../../src/tasks/task-representation.js';
import { TASK_COLUMNS, type TaskRow } from '../../src/tasks/tasks.store.js';
import { TestUser } from '../helpers/api-client.js';
import { FeedCopy, getChanges, readToEnd, type Change } from '../helpers/changes-feed.js';
import { DATABASE_KINDS, sharedTestDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { pollUntil } from '../helpers/wait.js';

// The feed's guarantee on real PostgreSQL, where writers run at once: one user's writes take their
// change numbers under the user's change lock in shared mode (they do not wait for each other, and
// may commit in another order than their numbers), and the feed takes it exclusively before it
// reads: it waits for the writes in flight, so a reader never passes a number that may still commit.

const describePostgres = DATABASE_KINDS.includes('postgres') ? describe : describe.skip;

async function backendPid(trx: Knex.Transaction): Promise<number> {
  const { rows } = await trx.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid');
  return rows[0]!.pid;
}

function insertTask(trx: Knex.Transaction, userId: string, title: string): Promise<{ id: number }[]> {
  return trx('tasks').insert({ user_id: userId, title }).returning<{ id: number }[]>('id');
}

const titles = (changes: readonly Change[]) => changes.map((change) => change.task?.title);

/** The user's lists and tasks (outside the trash) read directly, as the feed represents them, by id. */
async function liveState(knex: Knex, userId: string) {
  const tasks = await knex('tasks')
    .select<TaskRow[]>(TASK_COLUMNS)
    .where({ user_id: userId })
    .whereNull('deleted_at')
    .orderBy('id');
  const lists = await knex('lists').select<ListRow[]>(LIST_COLUMNS).where({ user_id: userId }).orderBy('id');
  return { tasks: tasks.map(toTask), lists: lists.map(toList) };
}

describePostgres('changes feed order on PostgreSQL', function () {
  this.timeout(120_000);
  let knex: Knex;
  let server: TestServer;
  before(async () => {
    knex = (await sharedTestDatabase('postgres')).knex;
    server = await startTestServer(knex);
  });
  after(async () => server?.close());

  it('lets two writers of a user run at once, and makes the feed wait for both, then shows them in number order', async () => {
    const alice = new TestUser(server.baseUrl);
    await alice.createTask({ title: 'before' });
    const { token } = await readToEnd(alice);

    const first = await knex.transaction();
    const second = await knex.transaction();
    try {
      const [firstPid, secondPid] = [await backendPid(first), await backendPid(second)];
      await insertTask(first, alice.id, 'first');
      // The second writer does not wait for the first: writers share the lock.
      await insertTask(second, alice.id, 'second');

      let answered = false;
      const read = readToEnd(alice, token).finally(() => (answered = true));
      const blockers = async () => {
        const { rows } = await knex.raw<{ rows: { blockers: number[] }[] }>(
          `select pg_blocking_pids(pid) as blockers from pg_stat_activity
            where datname = current_database() and query like '%changes_barrier%' and wait_event_type = 'Lock'`,
        );
        return rows.flatMap((row) => row.blockers);
      };
      await pollUntil(async () => {
        const waitingFor = await blockers();
        return waitingFor.includes(firstPid) && waitingFor.includes(secondPid);
      }, 'the feed to wait for both writers');

      // The second commits first: the feed still waits for the first, which holds the earlier number.
      await second.commit();
      await pollUntil(async () => (await blockers()).includes(firstPid), 'the feed to wait for the first writer');
      expect(answered, 'the feed waits for the write in flight').to.equal(false);

      await first.commit();
      expect(titles((await read).changes)).to.deep.equal(['first', 'second']);
    } finally {
      if (!first.isCompleted()) await first.rollback();
      if (!second.isCompleted()) await second.rollback();
    }
  });

  it("keeps a reader's copy equal to the live lists and tasks while 4 writers create, update, delete and purge", async () => {
    const alice = new TestUser(server.baseUrl);
    const WRITERS = 4;
    const OPERATIONS = 40;
    const statuses: Record<string, number> = {};
    const count = (what: string) => (statuses[what] = (statuses[what] ?? 0) + 1);

    /** One writer's run: random operations on its own tasks, so that each is valid when sent. */
    async function writer(index: number): Promise<void> {
      const live = new Map<number, { parent: number | null; level: number }>();
      const trashed: number[] = [];
      const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(Math.random() * items.length)];
      for (let step = 0; step < OPERATIONS; step += 1) {
        const ids = [...live.keys()];
        const roll = ids.length === 0 ? 0 : Math.random();
        if (roll < 0.35) {
          const parent = pick(ids.filter((id) => live.get(id)!.level < 4));
          const useParent = parent !== undefined && Math.random() < 0.5;
          const task = await alice.createTask({
            title: `writer ${index} step ${step}`,
            ...(useParent ? { parent_id: parent } : {}),
          });
          live.set(task.id, { parent: useParent ? parent : null, level: useParent ? live.get(parent)!.level + 1 : 1 });
          count('create');
        } else if (roll < 0.6) {
          const response = await alice.call('PATCH', `/tasks/${pick(ids)}`, { json: { title: `edited ${step}` } });
          expect(response.status).to.equal(200);
          count('update');
        } else if (roll < 0.75) {
          const response = await alice.call('PATCH', `/tasks/${pick(ids)}/complete`);
          expect(response.status).to.equal(200);
          count('complete');
        } else if (roll < 0.9) {
          const id = pick(ids)!;
          expect((await alice.call('DELETE', `/tasks/${id}`)).status).to.equal(204);
          // Its subtasks, at every level, went with it.
          const gone = [id];
          for (let at = 0; at < gone.length; at += 1) {
            for (const [child, { parent }] of live) if (parent === gone[at]) gone.push(child);
          }
          for (const each of gone) live.delete(each);
          trashed.push(...gone);
          count('delete');
        } else {
          const id = trashed.pop();
          if (id === undefined) continue;
          await knex('tasks').where({ user_id: alice.id, id }).whereNotNull('deleted_at').delete();
          count('purge');
        }
      }
    }

    const copy = new FeedCopy();
    let token: string | undefined;
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const response = await getChanges(alice, { since: token, limit: 1 + Math.floor(Math.random() * 20) });
        expect(response.status, JSON.stringify(response.body)).to.equal(200);
        copy.apply(response.body.changes);
        token = response.body.next_token;
        reads += 1;
      }
    })();
    try {
      await Promise.all(Array.from({ length: WRITERS }, (_, index) => writer(index)));
    } finally {
      writing = false;
      await reader;
    }
    const rest = await readToEnd(alice, token);
    copy.apply(rest.changes);
    reads += rest.pages.length;

    const live = await liveState(knex, alice.id);
    expect([...copy.tasks.values()].sort((a, b) => a.id - b.id)).to.deep.equal(live.tasks);
    expect([...copy.lists.values()].sort((a, b) => a.id - b.id)).to.deep.equal(live.lists);
    console.log(
      `      ${WRITERS} writers: ${JSON.stringify(statuses)}; the reader: ${reads} reads, ${copy.applied} changes applied; ` +
        `${live.tasks.length} live tasks, ${live.lists.length} list(s)`,
    );
  });
});
