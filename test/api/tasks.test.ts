import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/api-suite.js';
import type { components } from '../../generated/api.js';
import type { TaskRow } from '../../src/tasks/tasks.store.js';
import type { Problem, Task } from '../helpers/api-client.js';

type TaskList = components['schemas']['TaskList'];

describeEachDatabase('tasks: each operation', (suite) => {
  it('creates a task with defaults, a trimmed title and a Location', async () => {
    const alice = suite.newUser();
    const response = await alice.call<Task>('POST', '/tasks', { json: { title: '  Buy milk  ' } });
    expect(response.status).to.equal(201);
    const task = response.body;
    expect(task).to.include({
      user_id: alice.id,
      title: 'Buy milk',
      description: null,
      completed: false,
      completed_at: null,
    });
    expect(task.created_at).to.equal(task.updated_at);
    expect(response.headers.get('location')).to.equal(`/api/${alice.id}/tasks/${task.id}`);
  });

  it('creates a completed task with its completion time', async () => {
    const task = await suite.newUser().createTask({ title: 'Done already', description: 'notes', completed: true });
    expect(task).to.include({ completed: true, description: 'notes' });
    expect(task.completed_at).to.be.a('string');
  });

  it('gets a task', async () => {
    const alice = suite.newUser();
    const created = await alice.createTask({ description: 'details' });
    const response = await alice.call<Task>('GET', `/tasks/${created.id}`);
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal(created);
  });

  it('replaces every writable field with PUT', async () => {
    const alice = suite.newUser();
    const created = await alice.createTask({ description: 'old' });
    const response = await alice.call<Task>('PUT', `/tasks/${created.id}`, {
      json: { title: ' New title ', description: null, completed: true },
    });
    expect(response.status).to.equal(200);
    expect(response.body).to.include({ id: created.id, title: 'New title', description: null, completed: true });
    expect(response.body.completed_at).to.be.a('string');
    expect(Date.parse(response.body.updated_at)).to.be.at.least(Date.parse(created.updated_at));
    expect(response.body.created_at).to.equal(created.created_at);
  });

  it('changes only the given fields with a merge patch', async () => {
    const alice = suite.newUser();
    const created = await alice.createTask({ title: 'Keep', description: 'clear me' });
    const response = await alice.call<Task>('PATCH', `/tasks/${created.id}`, {
      json: { description: null },
      contentType: 'application/merge-patch+json',
    });
    expect(response.status).to.equal(200);
    expect(response.body).to.include({ title: 'Keep', description: null, completed: false });
    const renamed = await alice.call<Task>('PATCH', `/tasks/${created.id}`, { json: { title: 'Renamed' } });
    expect(renamed.status).to.equal(200);
    expect(renamed.body).to.include({ title: 'Renamed', description: null });
  });

  it('treats an empty merge patch as no change', async () => {
    const alice = suite.newUser();
    const created = await alice.createTask();
    const response = await alice.call<Task>('PATCH', `/tasks/${created.id}`, {
      json: {},
      contentType: 'application/merge-patch+json',
    });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal(created);
  });

  it('completes and reopens with an explicit state, idempotently', async () => {
    const alice = suite.newUser();
    const created = await alice.createTask();
    const done = await alice.call<Task>('PATCH', `/tasks/${created.id}/complete`, { json: { completed: true } });
    expect(done.status).to.equal(200);
    expect(done.body.completed).to.equal(true);
    const again = await alice.call<Task>('PATCH', `/tasks/${created.id}/complete`, { json: { completed: true } });
    expect(again.body.completed).to.equal(true);
    expect(again.body.completed_at, 'first completion time is kept').to.equal(done.body.completed_at);
    const reopened = await alice.call<Task>('PATCH', `/tasks/${created.id}/complete`, { json: { completed: false } });
    expect(reopened.body).to.include({ completed: false, completed_at: null });
  });

  it('toggles completion without a body, or with an empty object', async () => {
    const alice = suite.newUser();
    const created = await alice.createTask();
    const first = await alice.call<Task>('PATCH', `/tasks/${created.id}/complete`);
    expect(first.status).to.equal(200);
    expect(first.body.completed).to.equal(true);
    expect(first.body.completed_at).to.be.a('string');
    const second = await alice.call<Task>('PATCH', `/tasks/${created.id}/complete`, { json: {} });
    expect(second.body).to.include({ completed: false, completed_at: null });
  });

  it('deletes a task, after which it is gone', async () => {
    const alice = suite.newUser();
    const created = await alice.createTask();
    const response = await alice.call('DELETE', `/tasks/${created.id}`);
    expect(response.status).to.equal(204);
    expect(response.body).to.equal(undefined);
    expect((await alice.call('GET', `/tasks/${created.id}`)).status).to.equal(404);
    expect((await alice.call('DELETE', `/tasks/${created.id}`)).status).to.equal(404);
  });

  it('lists tasks newest first, filtered by status', async () => {
    const alice = suite.newUser();
    const first = await alice.createTask({ title: 'first' });
    const second = await alice.createTask({ title: 'second', completed: true });
    const third = await alice.createTask({ title: 'third' });
    const all = await alice.call<TaskList>('GET', '/tasks');
    expect(all.status).to.equal(200);
    expect(all.body.items.map((task: Task) => task.id)).to.deep.equal([third.id, second.id, first.id]);
    expect(all.body.next_cursor).to.equal(null);
    const open = await alice.call<TaskList>('GET', '/tasks?status=open');
    expect(open.body.items.map((task: Task) => task.id)).to.deep.equal([third.id, first.id]);
    const completed = await alice.call<TaskList>('GET', '/tasks?status=completed');
    expect(completed.body.items.map((task: Task) => task.id)).to.deep.equal([second.id]);
  });

  it('keeps updated_at when a write repeats what is already there', async () => {
    const alice = suite.newUser();
    const created = await alice.createTask({ title: 'Same', description: 'same', completed: true });
    const same = { title: 'Same', description: 'same', completed: true };
    const replaced = await alice.call<Task>('PUT', `/tasks/${created.id}`, { json: same });
    const patched = await alice.call<Task>('PATCH', `/tasks/${created.id}`, { json: { title: ' Same ' } });
    const completed = await alice.call<Task>('PATCH', `/tasks/${created.id}/complete`, { json: { completed: true } });
    for (const response of [replaced, patched, completed]) {
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal(created);
    }
    const changed = await alice.call<Task>('PATCH', `/tasks/${created.id}`, {
      json: { description: 'other', title: 'Same' },
    });
    expect(changed.body.description).to.equal('other');
    expect(Date.parse(changed.body.updated_at)).to.be.at.least(Date.parse(created.updated_at));
    const row = await suite.database().knex<TaskRow>('tasks').where({ id: created.id }).first('updated_at');
    expect(row?.updated_at.toISOString()).to.equal(changed.body.updated_at);
  });

  it('answers HEAD like GET, without a body', async () => {
    const alice = suite.newUser();
    const created = await alice.createTask();
    const head = await alice.call('HEAD', `/tasks/${created.id}`);
    expect(head.status).to.equal(200);
    expect(head.headers.get('content-type')).to.match(/^application\/json/);
    expect((await alice.call('HEAD', '/tasks/987654321')).status).to.equal(404);
    expect((await alice.call('HEAD', '/health')).status).to.equal(200);
  });

  it('answers 404 for a task that does not exist, on every task operation', async () => {
    const alice = suite.newUser();
    const missing = '/tasks/987654321';
    expect((await alice.call('GET', missing)).status).to.equal(404);
    expect(
      (await alice.call('PUT', missing, { json: { title: 'x', description: null, completed: false } })).status,
    ).to.equal(404);
    expect((await alice.call('PATCH', missing, { json: { title: 'x' } })).status).to.equal(404);
    expect((await alice.call('PATCH', `${missing}/complete`)).status).to.equal(404);
    const deleted = await alice.call<Problem>('DELETE', missing);
    expect(deleted.status).to.equal(404);
    expect(deleted.body.detail).to.equal('Task 987654321 was not found.');
  });
});
