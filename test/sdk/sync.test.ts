import { expect } from 'chai';
import { ChangesApi, type Change, type ChangePage, type List, type Task } from '../../generated/sdk/dist/index.js';
import { toList } from '../../src/lists/list-representation.js';
import { LIST_COLUMNS, type ListRow } from '../../src/lists/lists.store.js';
import { sharedTestDatabase } from '../helpers/databases.js';
import { tokenFor } from '../helpers/tokens.js';
import { describeSdk, SDK_DATABASE_KIND, type SdkUser } from './sdk-suite.js';

/** JSON with every object's keys sorted: two copies compare byte for byte. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, each: unknown) =>
    each !== null && typeof each === 'object' && !Array.isArray(each)
      ? Object.fromEntries(Object.entries(each).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : each,
  );
}

const byId = <T extends { id: number }>(items: Iterable<T>): T[] => [...items].sort((a, b) => a.id - b.id);

/** An offline client's copy, kept only through the changes feed. */
class OfflineCopy {
  readonly tasks = new Map<number, Task>();
  readonly lists = new Map<number, List>();
  private token: string | undefined;
  changesApplied = 0;
  pages = 0;

  constructor(
    private readonly feed: ChangesApi,
    private readonly userId: string,
  ) {}

  /** Reads every page since its last token (a snapshot the first time) and applies it. */
  async sync(limit: number): Promise<void> {
    let page: ChangePage;
    do {
      page = await this.feed.listChanges({ userId: this.userId, since: this.token, limit });
      for (const change of page.changes) this.apply(change);
      this.token = page.next_token;
      this.pages += 1;
    } while (page.has_more);
  }

  private apply(change: Change): void {
    const held: Map<number, Task | List> = change.entity === 'task' ? this.tasks : this.lists;
    if (change.change === 'upserted') held.set(change.id, (change.task ?? change.list)!);
    else held.delete(change.id);
    this.changesApplied += 1;
  }

  serialized(): string {
    return canonical({ lists: byId(this.lists.values()), tasks: byId(this.tasks.values()) });
  }
}

/** Every page of listTasks, and the lists. */
async function freshRead(user: SdkUser): Promise<string> {
  const tasks: Task[] = [];
  let cursor: string | undefined;
  do {
    const page = await user.tasks.listTasks({ userId: user.id, limit: 3, cursor });
    tasks.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  // TODO(lead): listLists (ListsApi) once the lists branch is merged; read directly until then,
  // as the API represents them.
  const { knex } = await sharedTestDatabase(SDK_DATABASE_KIND);
  const rows = await knex('lists').select<ListRow[]>(LIST_COLUMNS).where({ user_id: user.id });
  const lists = JSON.parse(JSON.stringify(rows.map(toList))) as List[];
  return canonical({ lists: byId(lists), tasks: byId(tasks) });
}

describeSdk('SDK: an offline copy kept in sync through the changes feed', (suite) => {
  it("equals a fresh full read after another client's creates, edits, nesting and deletes", async () => {
    const writer = suite.newUser();
    const copy = new OfflineCopy(
      new ChangesApi(suite.configuration({ accessToken: () => tokenFor(writer.id) })),
      writer.id,
    );
    const create = (title: string, parentId?: number) =>
      writer.tasks.createTask({ userId: writer.id, taskCreate: { title, parent_id: parentId } });

    const home = await create('home');
    const work = await create('work');
    await copy.sync(2);

    const report = await create('write the report', work.id);
    const figures = await create('gather the figures', report.id);
    await create('check the sums', figures.id);
    await writer.tasks.updateTask({ userId: writer.id, taskId: home.id, taskPatch: { description: 'the chores' } });
    await copy.sync(2);

    await writer.tasks.completeTask({ userId: writer.id, taskId: figures.id, taskCompletion: { completed: true } });
    await writer.tasks.updateTask({ userId: writer.id, taskId: report.id, taskPatch: { title: 'the report' } });
    const sweep = await create('sweep', home.id);
    await create('dust', sweep.id);
    await writer.tasks.deleteTask({ userId: writer.id, taskId: report.id });
    await copy.sync(3);

    await writer.tasks.deleteTask({ userId: writer.id, taskId: sweep.id });
    await create('after the trash', home.id);
    await copy.sync(50);

    expect(copy.tasks.size).to.equal(3);
    expect(copy.serialized()).to.equal(await freshRead(writer));
    console.log(`      the offline copy: ${copy.changesApplied} changes applied over ${copy.pages} pages`);
  });
});
