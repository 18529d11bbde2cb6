import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/api-suite.js';
import { expectProblem, request, type Task, type TestUser } from '../helpers/api-client.js';
import { auditTrail, listedTasks, storedTasks } from '../helpers/task-state.js';

function clearCompleted(user: TestUser, path = `/api/${encodeURIComponent(user.id)}/tasks/clear-completed`) {
  return user.call<{ deleted: number }>('POST', path);
}

describeEachDatabase('clearing completed tasks', (suite) => {
  it('deletes every completed task, says how many, and leaves the open ones', async () => {
    const alice = suite.newUser();
    const open = await alice.createTask({ title: 'Open' });
    const done = [await alice.createTask({ completed: true }), await alice.createTask({ completed: true })];
    const reopened = await alice.call<Task>(
      'PATCH',
      `/tasks/${(await alice.createTask({ completed: true })).id}/complete`,
      { json: { completed: false } },
    );
    const completed = await alice.call<Task>('PATCH', `/tasks/${(await alice.createTask()).id}/complete`, {
      json: { completed: true },
    });
    expect([reopened.status, completed.status]).to.deep.equal([200, 200]);
    const trailBefore = auditTrail(suite, alice);

    const response = await clearCompleted(alice);

    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ deleted: 3 });
    expect(await listedTasks(alice)).to.deep.equal([open, reopened.body]);
    const trail = auditTrail(suite, alice);
    expect(trail.slice(0, trailBefore.length)).to.deep.equal(trailBefore);
    expect(trail.slice(trailBefore.length), 'one audit line per deleted task').to.have.members(
      [...done, completed.body].map((task) => `task.clear_completed ${task.id}`),
    );
  });

  it('deletes nothing the second time, nor for a user without completed tasks', async () => {
    const alice = suite.newUser();
    await alice.createTask({ completed: true });
    expect((await clearCompleted(alice)).body).to.deep.equal({ deleted: 1 });
    expect((await clearCompleted(alice)).body).to.deep.equal({ deleted: 0 });
    expect((await clearCompleted(suite.newUser())).body).to.deep.equal({ deleted: 0 });
  });

  it("leaves other users' tasks, completed or not, exactly as they were", async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    await bob.createTask({ title: 'Bob open' });
    await bob.createTask({ title: 'Bob done', completed: true });
    await alice.createTask({ completed: true });
    const bobsListed = await listedTasks(bob);
    const bobsStored = await storedTasks(suite, bob);

    expect((await clearCompleted(alice)).body).to.deep.equal({ deleted: 1 });

    expect(await listedTasks(bob)).to.deep.equal(bobsListed);
    expect(await storedTasks(suite, bob)).to.deep.equal(bobsStored);
  });

  it("answers 403 on another user's path and deletes nothing", async () => {
    const alice = suite.newUser();
    await alice.createTask({ completed: true });
    const before = await storedTasks(suite, alice);
    const response = await clearCompleted(suite.newUser(), `/api/${alice.id}/tasks/clear-completed`);
    expect(expectProblem(response, 403).title).to.equal('Forbidden');
    expect(await storedTasks(suite, alice)).to.deep.equal(before);
  });

  it('answers 401 without a token and deletes nothing', async () => {
    const alice = suite.newUser();
    await alice.createTask({ completed: true });
    const before = await storedTasks(suite, alice);
    const response = await request(suite.server().baseUrl, 'POST', `/api/${alice.id}/tasks/clear-completed`);
    expectProblem(response, 401);
    expect(response.headers.get('www-authenticate')).to.equal('Bearer');
    expect(await storedTasks(suite, alice)).to.deep.equal(before);
  });
});
