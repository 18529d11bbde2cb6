import { expect } from 'chai';
import { DocumentationApi, HealthStatusEnum, ReadinessStatusEnum, SystemApi } from '../../generated/sdk/dist/index.js';
import { describeSdk, expectResponseError } from './sdk-suite.js';

describeSdk('SDK: every operation', (suite) => {
  it('checks liveness and readiness', async () => {
    const system = new SystemApi(suite.configuration());
    expect(await system.getHealth()).to.deep.equal({ status: HealthStatusEnum.Ok });
    expect(await system.getReadiness()).to.deep.equal({ status: ReadinessStatusEnum.Ready });
  });

  it('gets the signed-in user, with Date timestamps', async () => {
    const alice = suite.newUser();
    const me = await alice.users.getCurrentUser();
    expect(me).to.include({ id: alice.id, email: `${alice.id}@example.com`, name: alice.id });
    expect(me.created_at).to.be.instanceOf(Date);
    expect(me.updated_at.getTime()).to.be.at.least(me.created_at.getTime());
  });

  it('creates a task, with its Location, and gets it', async () => {
    const alice = suite.newUser();
    const created = await alice.tasks.createTaskRaw({
      userId: alice.id,
      taskCreate: { title: '  Buy milk ', description: 'Two litres' },
    });
    const task = await created.value();
    expect(created.raw.status).to.equal(201);
    expect(created.raw.headers.get('location')).to.equal(`/api/${alice.id}/tasks/${task.id}`);
    expect(task).to.include({
      user_id: alice.id,
      title: 'Buy milk',
      description: 'Two litres',
      completed: false,
      completed_at: null,
    });
    expect(task.created_at).to.be.instanceOf(Date);
    expect(await alice.tasks.getTask({ userId: alice.id, taskId: task.id })).to.deep.equal(task);
  });

  it('replaces a task', async () => {
    const alice = suite.newUser();
    const task = await alice.tasks.createTask({ userId: alice.id, taskCreate: { title: 'Old', description: 'old' } });
    const replaced = await alice.tasks.replaceTask({
      userId: alice.id,
      taskId: task.id,
      taskReplace: { title: 'New', description: null, completed: true },
    });
    expect(replaced).to.include({ id: task.id, title: 'New', description: null, completed: true });
    expect(replaced.completed_at).to.be.instanceOf(Date);
    expect(replaced.created_at).to.deep.equal(task.created_at);
  });

  it('updates with a merge patch: absent fields stay, null clears', async () => {
    const alice = suite.newUser();
    const task = await alice.tasks.createTask({
      userId: alice.id,
      taskCreate: { title: 'Keep', description: 'clear me' },
    });
    const cleared = await alice.tasks.updateTask({
      userId: alice.id,
      taskId: task.id,
      taskPatch: { description: null },
    });
    expect(cleared).to.include({ title: 'Keep', description: null, completed: false });
    const renamed = await alice.tasks.updateTask({
      userId: alice.id,
      taskId: task.id,
      taskPatch: { title: 'Renamed' },
    });
    expect(renamed).to.include({ title: 'Renamed', description: null });
  });

  it('completes with an explicit state, and toggles without a body', async () => {
    const alice = suite.newUser();
    const task = await alice.tasks.createTask({ userId: alice.id, taskCreate: { title: 'Toggle me' } });
    const done = await alice.tasks.completeTask({
      userId: alice.id,
      taskId: task.id,
      taskCompletion: { completed: true },
    });
    expect(done.completed).to.equal(true);
    expect(done.completed_at).to.be.instanceOf(Date);
    const toggled = await alice.tasks.completeTask({ userId: alice.id, taskId: task.id });
    expect(toggled).to.include({ completed: false, completed_at: null });
  });

  it('deletes a task, after which it is gone', async () => {
    const alice = suite.newUser();
    const task = await alice.tasks.createTask({ userId: alice.id, taskCreate: { title: 'Delete me' } });
    expect(await alice.tasks.deleteTask({ userId: alice.id, taskId: task.id })).to.equal(undefined);
    await expectResponseError(alice.tasks.getTask({ userId: alice.id, taskId: task.id }), 404);
  });

  it('serves the contract as JSON and YAML, and the reference page', async () => {
    const documentation = new DocumentationApi(suite.configuration());
    const json = await documentation.getOpenApiJson();
    expect(json.openapi).to.match(/^3\.0\.\d+$/);
    expect(json.paths).to.have.property('/api/{user_id}/tasks');
    expect(await documentation.getOpenApiYaml()).to.match(/^openapi: ['"]?3\.0\.\d+/m);
    expect(await documentation.getDocs()).to.match(/^<!DOCTYPE html>/i);
  });
});
