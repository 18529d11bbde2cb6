import { expect } from 'chai';
import { ListsApi, TasksApi } from '../../generated/sdk/dist/index.js';
import { tokenFor } from '../helpers/tokens.js';
import { describeSdk, expectResponseError, type SdkSuite } from './sdk-suite.js';

/** A user of its own with the SDK's lists and tasks APIs. */
function newListsUser(suite: SdkSuite) {
  const { id } = suite.newUser();
  const configuration = suite.configuration({ accessToken: () => tokenFor(id) });
  return { id, lists: new ListsApi(configuration), tasks: new TasksApi(configuration) };
}

describeSdk('SDK: lists', (suite) => {
  it('lists the default list first, creates a list with its Location, and gets it', async () => {
    const alice = newListsUser(suite);
    const { items } = await alice.lists.listLists({ userId: alice.id });
    expect(items).to.have.length(1);
    expect(items[0]).to.include({ name: 'Inbox', is_default: true, color: null });
    expect(items[0]!.created_at).to.be.instanceOf(Date);

    const created = await alice.lists.createListRaw({
      userId: alice.id,
      listCreate: { name: ' Groceries ', color: '#1E90FF' },
    });
    const list = await created.value();
    expect(created.raw.status).to.equal(201);
    expect(created.raw.headers.get('location')).to.equal(`/api/${alice.id}/lists/${list.id}`);
    expect(list).to.include({ user_id: alice.id, name: 'Groceries', color: '#1e90ff', is_default: false });
    expect(await alice.lists.getList({ userId: alice.id, listId: list.id })).to.deep.equal(list);
    expect((await alice.lists.listLists({ userId: alice.id })).items.map((each) => each.id)).to.deep.equal([
      items[0]!.id,
      list.id,
    ]);
  });

  it('updates a list with a merge patch (null clears the colour), with If-Match', async () => {
    const alice = newListsUser(suite);
    const list = await alice.lists.createList({ userId: alice.id, listCreate: { name: 'Old', color: '#000000' } });
    const read = await alice.lists.getListRaw({ userId: alice.id, listId: list.id });
    const etag = read.raw.headers.get('etag')!;
    const renamed = await alice.lists.updateList({
      userId: alice.id,
      listId: list.id,
      listPatch: { name: 'New', color: null },
      ifMatch: etag,
    });
    expect(renamed).to.include({ id: list.id, name: 'New', color: null });
    await expectResponseError(
      alice.lists.updateList({ userId: alice.id, listId: list.id, listPatch: { name: 'Stale' }, ifMatch: etag }),
      412,
    );
  });

  it('deletes a list, sending its tasks to the trash; the default list and a taken name are 409s', async () => {
    const alice = newListsUser(suite);
    const list = await alice.lists.createList({ userId: alice.id, listCreate: { name: 'Trip' } });
    await expectResponseError(alice.lists.createList({ userId: alice.id, listCreate: { name: 'TRIP' } }), 409);
    const task = await alice.tasks.createTask({ userId: alice.id, taskCreate: { title: 'Pack', list_id: list.id } });
    expect(task.list_id).to.equal(list.id);
    await alice.lists.deleteList({ userId: alice.id, listId: list.id });
    await expectResponseError(alice.lists.getList({ userId: alice.id, listId: list.id }), 404);
    await expectResponseError(alice.tasks.getTask({ userId: alice.id, taskId: task.id }), 404);
    const [inbox] = (await alice.lists.listLists({ userId: alice.id })).items;
    const refused = await expectResponseError(alice.lists.deleteList({ userId: alice.id, listId: inbox!.id }), 409);
    expect(refused.problem?.detail).to.match(/default list/);
  });
});
