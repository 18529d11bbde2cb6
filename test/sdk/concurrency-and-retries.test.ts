import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { ResponseError } from '../../generated/sdk/dist/index.js';
import { describeSdk, expectResponseError } from './sdk-suite.js';

// Issue 5 as a frontend meets it through the SDK: ETags from the raw responses, If-Match and
// If-None-Match as parameters, safe retries with an Idempotency-Key, and the errors they give.
describeSdk('SDK: conditional writes and safe retries', (suite) => {
  it('reads the ETag, writes with If-Match, and gets a 412 ResponseError for a stale one', async () => {
    const alice = suite.newUser();
    const created = await alice.tasks.createTaskRaw({ userId: alice.id, taskCreate: { title: 'Draft' } });
    const etag = created.raw.headers.get('etag');
    expect(etag).to.match(/^"[A-Za-z0-9_-]+"$/);
    const task = await created.value();

    const renamed = await alice.tasks.updateTaskRaw({
      userId: alice.id,
      taskId: task.id,
      ifMatch: etag!,
      taskPatch: { title: 'Final' },
    });
    expect((await renamed.value()).title).to.equal('Final');
    expect(renamed.raw.headers.get('etag')).to.be.a('string').and.not.equal(etag);

    const stale = await expectResponseError(
      alice.tasks.updateTask({ userId: alice.id, taskId: task.id, ifMatch: etag!, taskPatch: { title: 'Lost' } }),
      412,
    );
    expect(stale.problem?.status).to.equal(412);
    expect((await alice.tasks.getTask({ userId: alice.id, taskId: task.id })).title).to.equal('Final');
  });

  it('answers If-None-Match with 304 while the task is unchanged', async () => {
    const alice = suite.newUser();
    const created = await alice.tasks.createTaskRaw({ userId: alice.id, taskCreate: { title: 'Cached' } });
    const task = await created.value();
    // Not a 2xx, so the SDK raises it: a ResponseError with the status and no problem document.
    const error: unknown = await alice.tasks
      .getTask({ userId: alice.id, taskId: task.id, ifNoneMatch: created.raw.headers.get('etag')! })
      .catch((reason: unknown) => reason);
    expect(error).to.be.instanceOf(ResponseError);
    expect(error).to.include({ status: 304, problem: undefined });
  });

  it('replays a retried create with the same Idempotency-Key instead of creating twice', async () => {
    const alice = suite.newUser();
    const idempotencyKey = randomUUID();
    const first = await alice.tasks.createTask({ userId: alice.id, idempotencyKey, taskCreate: { title: 'Once' } });
    const retry = await alice.tasks.createTask({ userId: alice.id, idempotencyKey, taskCreate: { title: 'Once' } });
    expect(retry).to.deep.equal(first);
    const page = await alice.tasks.listTasks({ userId: alice.id });
    expect(page.items.map((task) => task.id)).to.deep.equal([first.id]);

    const reused = await expectResponseError(
      alice.tasks.createTask({ userId: alice.id, idempotencyKey, taskCreate: { title: 'Another' } }),
      422,
    );
    expect(reused.problem?.status).to.equal(422);
  });
});
