import { expect } from 'chai';
import { ListTasksStatusEnum, type Task } from '../../generated/sdk/dist/index.js';
import { describeSdk, type SdkUser } from './sdk-suite.js';

/** Every page of the user's tasks, following `next_cursor` until it is null. */
async function walk(user: SdkUser, limit: number, status?: ListTasksStatusEnum): Promise<Task[][]> {
  const pages: Task[][] = [];
  let cursor: string | undefined;
  do {
    const page = await user.tasks.listTasks({ userId: user.id, limit, status, cursor });
    pages.push(page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return pages;
}

describeSdk('SDK: listing tasks page by page', (suite) => {
  it('walks every page to the end, newest first', async () => {
    const alice = suite.newUser();
    const created: Task[] = [];
    for (let index = 0; index < 7; index += 1) {
      created.push(
        await alice.tasks.createTask({
          userId: alice.id,
          taskCreate: { title: `task ${index}`, completed: index % 2 === 0 },
        }),
      );
    }
    const pages = await walk(alice, 3);
    expect(pages.map((page) => page.length)).to.deep.equal([3, 3, 1]);
    expect(pages.flat()).to.deep.equal(created.toReversed());

    const completed = await walk(alice, 3, ListTasksStatusEnum.Completed);
    expect(completed.flat().map((task) => task.title)).to.deep.equal(['task 6', 'task 4', 'task 2', 'task 0']);
  });

  it('returns one empty last page for a user without tasks', async () => {
    expect(await walk(suite.newUser(), 50)).to.deep.equal([[]]);
  });
});
