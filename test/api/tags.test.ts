import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { describeEachDatabase } from '../helpers/api-suite.js';
import { expectProblem, request, type TestUser } from '../helpers/api-client.js';

type TagSummaryList = components['schemas']['TagSummaryList'];

/** The most tags one answer lists. */
const MAX_TAGS = 2000;
/** The most tags one task carries. */
const TAGS_PER_TASK = 20;

async function tagsOf(user: TestUser): Promise<TagSummaryList> {
  const response = await user.call<TagSummaryList>('GET', `/api/${encodeURIComponent(user.id)}/tags`);
  expect(response.status).to.equal(200);
  return response.body;
}

/** Creates tasks carrying these distinct tags, 20 to a task, in two bulk requests at most. */
async function tagTasks(user: TestUser, tags: string[]): Promise<void> {
  const actions = [];
  for (let start = 0; start < tags.length; start += TAGS_PER_TASK) {
    actions.push({ op: 'create', task: { title: `Tagged ${start}`, tags: tags.slice(start, start + TAGS_PER_TASK) } });
  }
  for (let start = 0; start < actions.length; start += 100) {
    const response = await user.call('POST', '/tasks/bulk', {
      json: { atomic: true, actions: actions.slice(start, start + 100) },
    });
    expect(response.status).to.equal(200);
  }
}

const numbered = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `tag-${String(from + i).padStart(4, '0')}`);

describeEachDatabase('tags', (suite) => {
  it('counts the tasks carrying each tag and the open ones among them, by name', async () => {
    const alice = suite.newUser();
    await alice.createTask({ tags: ['Work', 'home'] });
    await alice.createTask({ tags: ['work ', 'Errands'], completed: true });
    await alice.createTask({ tags: [' HOME'] });
    await alice.createTask({ tags: [] });
    await alice.createTask();

    expect(await tagsOf(alice)).to.deep.equal({
      items: [
        { name: 'errands', task_count: 1, open_task_count: 0 },
        { name: 'home', task_count: 2, open_task_count: 2 },
        { name: 'work', task_count: 2, open_task_count: 1 },
      ],
      truncated: false,
    });
  });

  it('follows the tasks as they change: retagged, completed, deleted', async () => {
    const alice = suite.newUser();
    const task = await alice.createTask({ tags: ['draft'] });
    await alice.createTask({ tags: ['draft'] });
    await alice.call('PATCH', `/tasks/${task.id}`, { json: { tags: ['final'], completed: true } });
    expect((await tagsOf(alice)).items).to.deep.equal([
      { name: 'draft', task_count: 1, open_task_count: 1 },
      { name: 'final', task_count: 1, open_task_count: 0 },
    ]);
    await alice.call('DELETE', `/tasks/${task.id}`);
    expect((await tagsOf(alice)).items.map((tag) => tag.name)).to.deep.equal(['draft']);
  });

  it('sorts names by code point, the same on every database', async () => {
    const alice = suite.newUser();
    await alice.createTask({ tags: ['zebra', 'émile', 'apple', 'Zoo', '10', '9'] });
    expect((await tagsOf(alice)).items.map((tag) => tag.name)).to.deep.equal([
      '10',
      '9',
      'apple',
      'zebra',
      'zoo',
      'émile',
    ]);
  });

  it("lists only the caller's tags and counts only the caller's tasks", async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    await alice.createTask({ tags: ['work'] });
    await bob.createTask({ tags: ['work', 'secret'] });
    await bob.createTask({ tags: ['work'], completed: true });

    expect((await tagsOf(alice)).items).to.deep.equal([{ name: 'work', task_count: 1, open_task_count: 1 }]);
    expect((await tagsOf(bob)).items).to.deep.equal([
      { name: 'secret', task_count: 1, open_task_count: 1 },
      { name: 'work', task_count: 2, open_task_count: 1 },
    ]);
  });

  it('is empty for a user without tags', async () => {
    expect(await tagsOf(suite.newUser())).to.deep.equal({ items: [], truncated: false });
  });

  it('lists 2000 tags in full, and says when there are more', async () => {
    const alice = suite.newUser();
    await tagTasks(alice, numbered(0, MAX_TAGS));
    const all = await tagsOf(alice);
    expect(all.truncated).to.equal(false);
    expect(all.items.map((tag) => tag.name)).to.deep.equal(numbered(0, MAX_TAGS));

    await tagTasks(alice, ['aaa-first', 'zzz-last']);
    const more = await tagsOf(alice);
    expect(more.truncated).to.equal(true);
    expect(more.items.map((tag) => tag.name)).to.deep.equal(['aaa-first', ...numbered(0, MAX_TAGS - 1)]);
  });

  it("answers 403 on another user's tags", async () => {
    const alice = suite.newUser();
    await alice.createTask({ tags: ['private'] });
    const response = await suite.newUser().call('GET', `/api/${alice.id}/tags`);
    expect(expectProblem(response, 403).title).to.equal('Forbidden');
    expect(JSON.stringify(response.body)).not.to.include('private');
  });

  it('answers 401 without a token', async () => {
    const response = await request(suite.server().baseUrl, 'GET', `/api/${suite.newUser().id}/tags`);
    expectProblem(response, 401);
    expect(response.headers.get('www-authenticate')).to.equal('Bearer');
  });
});
