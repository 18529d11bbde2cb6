import { expect } from 'chai';
import { pruneChangeHistory } from '../../src/changes/history-prune.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, type TestUser } from '../helpers/api-client.js';
import { getChanges, readToEnd, type Change, type Task } from '../helpers/changes-feed.js';

/** The fields of a token, which clients must not read: only tests build false ones from true ones. */
function tokenFields(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function tokenOf(fields: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

const upserted = (task: Task): Change => ({ entity: 'task', id: task.id, change: 'upserted', task });
const trashed = (id: number): Change => ({ entity: 'task', id, change: 'trashed' });

async function currentTask(user: TestUser, id: number): Promise<Task> {
  const response = await user.call<Task>('GET', `/tasks/${id}`);
  expect(response.status).to.equal(200);
  return response.body;
}

/** The user's task deleted for good, as purging it from the trash does (its tombstone is the trigger's). */
async function purge(suite: ApiSuite, user: TestUser, id: number): Promise<void> {
  const deleted = await suite
    .database()
    .knex('tasks')
    .where({ user_id: user.id, id })
    .whereNotNull('deleted_at')
    .delete()
    .returning('id');
  expect(deleted).to.have.length(1);
}

describeEachDatabase('changes feed', (suite) => {
  it('reads a snapshot page by page, then only what changed since', async () => {
    const alice = suite.newUser();
    const tasks: Task[] = [];
    for (let index = 0; index < 5; index += 1) tasks.push(await alice.createTask({ title: `task ${index}` }));

    const snapshot = await readToEnd(alice, undefined, 2);
    expect(snapshot.pages.map((page) => page.length)).to.deep.equal([2, 2, 2]);
    const [inbox, ...rest] = snapshot.changes;
    expect(inbox).to.deep.include({ entity: 'list', change: 'upserted' });
    expect(inbox!.list).to.include({ user_id: alice.id, name: 'Inbox', is_default: true });
    expect(rest).to.deep.equal(tasks.map(upserted));

    const renamed = await alice.call<Task>('PATCH', `/tasks/${tasks[1]!.id}`, { json: { title: 'renamed' } });
    const since = await readToEnd(alice, snapshot.token);
    expect(since.changes).to.deep.equal([upserted(renamed.body)]);

    const again = await getChanges(alice, { since: since.token });
    expect(again.body).to.deep.equal({ changes: [], next_token: since.token, has_more: false });
  });

  it('tells each task once, with its latest state, in the order of the last writes', async () => {
    const alice = suite.newUser();
    const [first, second] = [await alice.createTask({ title: 'first' }), await alice.createTask({ title: 'second' })];
    const { token } = await readToEnd(alice);

    await alice.call('PATCH', `/tasks/${first.id}`, { json: { title: 'first, renamed' } });
    await alice.call('PATCH', `/tasks/${first.id}/complete`, { json: { completed: true } });
    const nested = await alice.createTask({ title: 'nested', parent_id: second.id });
    // Moved under `second`, to the end, as a move would (the move operation is built elsewhere).
    await suite
      .database()
      .knex('tasks')
      .where({ user_id: alice.id, id: first.id })
      .update({ parent_id: second.id, position: null });

    const { changes } = await readToEnd(alice, token);
    const moved = await currentTask(alice, first.id);
    expect(moved).to.include({ title: 'first, renamed', completed: true, parent_id: second.id });
    expect(changes).to.deep.equal([upserted(nested), upserted(moved)]);
  });

  it('tells a deleted task and its subtasks as trashed, and a purged one as deleted', async () => {
    const alice = suite.newUser();
    const parent = await alice.createTask({ title: 'parent' });
    const child = await alice.createTask({ title: 'child', parent_id: parent.id });
    const { token } = await readToEnd(alice);

    expect((await alice.call('DELETE', `/tasks/${parent.id}`)).status).to.equal(204);
    const afterTrash = await readToEnd(alice, token);
    expect(afterTrash.changes).to.have.deep.members([trashed(parent.id), trashed(child.id)]);

    await purge(suite, alice, child.id);
    const afterPurge = await readToEnd(alice, afterTrash.token);
    expect(afterPurge.changes).to.deep.equal([{ entity: 'task', id: child.id, change: 'deleted' }]);

    const snapshot = await readToEnd(alice);
    expect(snapshot.changes.map((change) => change.entity)).to.deep.equal(['list'], 'a snapshot has no trashed task');
  });

  it('tells a deleted list as deleted, after its tasks went to the trash', async () => {
    const alice = suite.newUser();
    await alice.createTask();
    const { knex } = suite.database();
    const [list] = await knex('lists').insert({ user_id: alice.id, name: 'Errands' }).returning<{ id: number }[]>('id');
    const errand = await alice.createTask({ title: 'errand', list_id: list!.id });
    const { token, changes: before } = await readToEnd(alice);
    expect(before.filter((change) => change.entity === 'list').map((change) => change.list?.name)).to.deep.equal([
      'Inbox',
      'Errands',
    ]);

    await knex.transaction(async (trx) => {
      await trx('tasks')
        .where({ user_id: alice.id, list_id: list!.id })
        .update({ deleted_at: trx.fn.now(), trash_root: trx.ref('id') });
      await trx('lists').where({ user_id: alice.id, id: list!.id }).delete();
    });
    const { changes } = await readToEnd(alice, token);
    expect(changes).to.have.deep.members([trashed(errand.id), { entity: 'list', id: list!.id, change: 'deleted' }]);
  });

  it('moves the token to now on an empty answer, and answers 304 while nothing changed', async () => {
    const alice = suite.newUser();
    const empty = await getChanges(alice);
    expect(empty.status).to.equal(200);
    expect(empty.body.changes).to.deep.equal([]);
    const etag = empty.headers.get('etag')!;
    expect(etag).to.match(/^"[A-Za-z0-9_-]+"$/);

    const unchanged = await getChanges(alice, {}, { 'If-None-Match': etag });
    expect(unchanged.status).to.equal(304);
    expect(unchanged.headers.get('etag')).to.equal(etag);

    const task = await alice.createTask();
    const changed = await getChanges(alice, { since: empty.body.next_token }, { 'If-None-Match': etag });
    expect(changed.status).to.equal(200);
    expect(changed.headers.get('etag')).not.to.equal(etag);
    // The default list was made with the first task, before it.
    expect(changed.body.changes.map((change) => change.entity)).to.deep.equal(['list', 'task']);
    expect(changed.body.changes[1]).to.deep.equal(upserted(task));

    const polled = await getChanges(alice, { since: changed.body.next_token });
    const polledAgain = await getChanges(
      alice,
      { since: changed.body.next_token },
      { 'If-None-Match': polled.headers.get('etag')! },
    );
    expect([polled.status, polledAgain.status]).to.deep.equal([200, 304]);
  });

  it('answers 410 for a token behind the history kept, but not for a snapshot read after it', async () => {
    const alice = suite.newUser();
    const doomed = await alice.createTask({ title: 'doomed' });
    await alice.createTask({ title: 'kept' });
    const { token: old } = await readToEnd(alice);
    await alice.call('DELETE', `/tasks/${doomed.id}`);
    await purge(suite, alice, doomed.id);
    const { token: recent } = await readToEnd(alice, old);
    const { knex } = suite.database();
    await knex('change_tombstones')
      .where({ user_id: alice.id })
      .update({ deleted_at: knex.raw("now() - interval '31 days'") });

    expect(await pruneChangeHistory(knex, 30)).to.be.at.least(1);
    expect(await knex('change_tombstones').where({ user_id: alice.id })).to.deep.equal([]);

    const gone = expectProblem(await getChanges(alice, { since: old }), 410);
    expect(gone.detail).to.equal('This token is older than the history kept (30 days); read again without since.');
    expect((await getChanges(alice, { since: recent })).status).to.equal(200);
    // The snapshot's first page ends before the pruned history, and its next page still follows:
    // its token says the copy was read after that history (without that, it would be a 410).
    const first = await getChanges(alice, { limit: 1 });
    const { c: snapshotClock, ...behind } = tokenFields(first.body.next_token);
    expect(snapshotClock).to.be.above(behind.s as number);
    expectProblem(await getChanges(alice, { since: tokenOf(behind) }), 410);
    const rest = await readToEnd(alice, first.body.next_token, 1);
    expect(rest.changes.map((change) => change.task?.title)).to.deep.equal(['kept']);
  });

  it('refuses a since token that is malformed, of another user or ahead of the history', async () => {
    const alice = suite.newUser();
    await alice.createTask();
    const { token } = await readToEnd(alice);
    const bobsToken = (await readToEnd(suite.newUser())).token;
    const fields = tokenFields(token);
    const refusals: [string, string][] = [
      ['garbage', 'is not a token listChanges gave'],
      [tokenOf({ ...fields, v: 2 }), 'is not a token listChanges gave'],
      [tokenOf({ ...fields, s: -1 }), 'is not a token listChanges gave'],
      [tokenOf({ ...fields, extra: 1 }), 'is not a token listChanges gave'],
      [tokenOf({ ...fields, c: fields.s }), 'is not a token listChanges gave'],
      [bobsToken, "is another user's"],
      [tokenOf({ ...fields, s: (fields.s as number) + 1 }), 'is ahead of your history of changes'],
      [tokenOf({ ...fields, c: (fields.s as number) + 1 }), 'is ahead of your history of changes'],
    ];
    for (const [since, message] of refusals) {
      const problem = expectProblem(await getChanges(alice, { since }), 400);
      expect(problem.errors, since).to.deep.equal([{ location: 'query', pointer: '/since', message }]);
    }
    expectProblem(await getChanges(alice, { since: 'not.base64url' }), 400);
  });

  it('holds limit to 1..500', async () => {
    const alice = suite.newUser();
    await alice.createTask();
    for (const limit of [0, 501, 'many']) expectProblem(await getChanges(alice, { limit }), 400);
    for (const limit of [1, 500]) expect((await getChanges(alice, { limit })).status).to.equal(200);
    const defaulted = await getChanges(alice);
    expect([defaulted.body.changes.length, defaulted.body.has_more]).to.deep.equal([2, false]);
  });

  it("refuses another user's feed", async () => {
    const [alice, bob] = [suite.newUser(), suite.newUser()];
    const response = await bob.call('GET', `/api/${encodeURIComponent(alice.id)}/changes`);
    expectProblem(response, 403);
  });
});
