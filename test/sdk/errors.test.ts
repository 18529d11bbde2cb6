import { expect } from 'chai';
import { UsersApi, ValidationIssueLocationEnum } from '../../generated/sdk/dist/index.js';
import { describeSdk, expectResponseError } from './sdk-suite.js';

describeSdk('SDK: errors are ResponseErrors with the problem document', (suite) => {
  it('401 without a token, with the Bearer challenge', async () => {
    const anonymous = new UsersApi(suite.configuration());
    const error = await expectResponseError(anonymous.getCurrentUser(), 401);
    expect(error.problem).to.include({ title: 'Unauthorized' });
    expect(error.response.headers.get('www-authenticate')).to.equal('Bearer');
    expect(error.message).to.match(/^401 /);
  });

  it('401 with a token that is not a valid JWT', async () => {
    const forged = new UsersApi(suite.configuration({ accessToken: 'not-a-jwt' }));
    const error = await expectResponseError(forged.getCurrentUser(), 401);
    expect(error.response.headers.get('www-authenticate')).to.match(/^Bearer error="invalid_token"/);
  });

  it("403 for another user's tasks", async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    const error = await expectResponseError(alice.tasks.listTasks({ userId: bob.id }), 403);
    expect(error.problem).to.include({ title: 'Forbidden' });
  });

  it('404 for a task that does not exist', async () => {
    const alice = suite.newUser();
    const error = await expectResponseError(alice.tasks.getTask({ userId: alice.id, taskId: 987654321 }), 404);
    expect(error.problem?.detail).to.equal('Task 987654321 was not found.');
  });

  it('400 listing each problem in errors: body, query and path', async () => {
    const alice = suite.newUser();
    const body = await expectResponseError(
      alice.tasks.createTask({ userId: alice.id, taskCreate: { title: '' } }),
      400,
    );
    const query = await expectResponseError(alice.tasks.listTasks({ userId: alice.id, limit: 0 }), 400);
    const path = await expectResponseError(alice.tasks.getTask({ userId: alice.id, taskId: 0 }), 400);
    // Each place is named once (an empty title is one problem: it is blank).
    const places = [body, query, path].map(
      (error) => new Set(error.problem?.errors?.map(({ location, pointer }) => `${location} ${pointer}`)),
    );
    expect(places).to.deep.equal([
      new Set([`${ValidationIssueLocationEnum.Body} /title`]),
      new Set([`${ValidationIssueLocationEnum.Query} /limit`]),
      new Set([`${ValidationIssueLocationEnum.Path} /task_id`]),
    ]);
    expect(body.problem?.errors?.[0]?.message).to.be.a('string').that.is.not.empty;
  });
});
