import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/api-suite.js';
import type { Task, TestUser } from '../helpers/api-client.js';
import type { components } from '../../generated/api.js';

type TaskList = components['schemas']['TaskList'];

/** Follows next_cursor to the end and returns every page's ids. */
async function walk(user: TestUser, query: string, between?: (page: number) => Promise<void>): Promise<number[][]> {
  const pages: number[][] = [];
  let cursor: string | null = null;
  do {
    const separator = query ? '&' : '';
    const path: string = `/tasks?${query}${cursor ? `${separator}cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await user.call<TaskList>('GET', path);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    pages.push(response.body.items.map((task: Task) => task.id));
    cursor = response.body.next_cursor;
    if (between && cursor) await between(pages.length);
  } while (cursor && pages.length < 100);
  return pages;
}

async function createTasks(user: TestUser, count: number, fields: (i: number) => Record<string, unknown> = () => ({})) {
  const tasks: Task[] = [];
  for (let i = 0; i < count; i += 1) tasks.push(await user.createTask({ title: `task ${i}`, ...fields(i) }));
  return tasks;
}

describeEachDatabase('tasks: cursor pagination', (suite) => {
  it('walks every task exactly once, newest first, in pages of `limit`', async () => {
    const alice = suite.newUser();
    const created = await createTasks(alice, 23);
    const pages = await walk(alice, 'limit=5');
    expect(pages.map((page) => page.length)).to.deep.equal([5, 5, 5, 5, 3]);
    expect(pages.flat()).to.deep.equal(created.map((task) => task.id).reverse());
  });

  it('ends with next_cursor null on an exactly full last page', async () => {
    const alice = suite.newUser();
    await createTasks(alice, 4);
    const pages = await walk(alice, 'limit=2');
    expect(pages.map((page) => page.length)).to.deep.equal([2, 2]);
  });

  it('defaults to 50 per page', async () => {
    const alice = suite.newUser();
    await createTasks(alice, 51);
    const first = await alice.call<TaskList>('GET', '/tasks');
    expect(first.body.items).to.have.length(50);
    expect(first.body.next_cursor).to.be.a('string');
  });

  it('orders tasks created in the same millisecond by id, without gaps across pages', async () => {
    const alice = suite.newUser();
    await alice.call('GET', '/api/me'); // provisions the user row
    const sameInstant = new Date('2026-01-01T00:00:00.000Z');
    const rows = Array.from({ length: 12 }, (_, i) => ({
      user_id: alice.id,
      title: `tie ${i}`,
      created_at: sameInstant,
      updated_at: sameInstant,
    }));
    const inserted: { id: number }[] = await suite.database().knex('tasks').insert(rows).returning('id');
    const pages = await walk(alice, 'limit=5');
    expect(pages.flat()).to.deep.equal(inserted.map((row) => row.id).sort((a, b) => b - a));
  });

  it('has no duplicates or gaps while tasks are added and removed between pages', async () => {
    const alice = suite.newUser();
    const created = await createTasks(alice, 15);
    const removed: number[] = [];
    const pages = await walk(alice, 'limit=4', async (page) => {
      await alice.createTask({ title: `added after page ${page}` }); // newer than the cursor: never in later pages
      const victim = created[page - 1]!; // among the oldest, not listed yet
      removed.push(victim.id);
      expect((await alice.call('DELETE', `/tasks/${victim.id}`)).status).to.equal(204);
    });
    const seen = pages.flat();
    expect(new Set(seen).size, 'no duplicates').to.equal(seen.length);
    const expected = created
      .map((task) => task.id)
      .filter((id) => !removed.includes(id))
      .reverse();
    expect(seen).to.deep.equal(expected);
  });

  it('pages through one completion state at a time', async () => {
    const alice = suite.newUser();
    const created = await createTasks(alice, 9, (i) => ({ completed: i % 3 === 0 }));
    const completed = created
      .filter((task) => task.completed)
      .map((task) => task.id)
      .reverse();
    const open = created
      .filter((task) => !task.completed)
      .map((task) => task.id)
      .reverse();
    expect((await walk(alice, 'status=completed&limit=2')).flat()).to.deep.equal(completed);
    expect((await walk(alice, 'status=open&limit=2')).flat()).to.deep.equal(open);
  });

  it("gives another user nothing of the first user's tasks through a cursor", async () => {
    const alice = suite.newUser();
    await createTasks(alice, 3);
    const first = await alice.call<TaskList>('GET', '/tasks?limit=1');
    const bob = suite.newUser();
    await bob.createTask({ title: 'bob task' });
    const response = await bob.call<TaskList>(
      'GET',
      `/tasks?limit=10&cursor=${encodeURIComponent(first.body.next_cursor!)}`,
    );
    expect(response.status).to.equal(200);
    expect(response.body.items.every((task: Task) => task.user_id === bob.id)).to.equal(true);
  });
});
