import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, TestUser, type ApiResponse, type Problem, type Task } from '../helpers/api-client.js';
import { auditTrail, listedTasks, storedTasks } from '../helpers/task-state.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type BulkResult = components['schemas']['BulkResult'];
type Issue = NonNullable<Problem['errors']>[number];

/** A task id no test creates (ids are an identity sequence starting at 1). */
const MISSING_TASK_ID = 8_765_432_109;

const STALE_DETAIL = 'The task has changed since it was read (If-Match); nothing was written.';
const staleAt = (index: number): Issue => ({
  location: 'body',
  pointer: `/actions/${index}/if_match`,
  message: "is not the task's current ETag",
});
const requiredAt = (index: number): Issue => ({
  location: 'body',
  pointer: `/actions/${index}/if_match`,
  message: 'is required on this server for update, complete and delete',
});

/** The update, complete and delete actions, each a real change to a fresh, open task. */
const CONDITIONAL_OPS: { op: string; fields: Record<string, unknown>; status: 200 | 204 }[] = [
  { op: 'update', fields: { patch: { title: 'Renamed' } }, status: 200 },
  { op: 'complete', fields: { completed: true }, status: 200 },
  { op: 'delete', fields: {}, status: 204 },
];

function bulk(user: TestUser, body: unknown): Promise<ApiResponse<BulkResult>> {
  return user.call<BulkResult>('POST', '/tasks/bulk', { json: body });
}

/** The results' statuses in order, once each result's index is checked to be its position. */
function statuses(response: ApiResponse<BulkResult>): number[] {
  expect(response.status, JSON.stringify(response.body)).to.be.oneOf([200, 207]);
  expect(response.body.results.map((result) => result.index)).to.deep.equal(
    response.body.results.map((_, position) => position),
  );
  return response.body.results.map((result) => result.status);
}

/** The task and the ETag a GET answers for it. */
async function read(user: TestUser, id: number): Promise<{ task: Task; etag: string }> {
  const response = await user.call<Task>('GET', `/tasks/${id}`);
  expect(response.status).to.equal(200);
  return { task: response.body, etag: response.headers.get('etag')! };
}

/** A fresh task with the ETag a GET answers for it. */
async function fresh(user: TestUser, fields: Record<string, unknown> = {}): Promise<{ task: Task; etag: string }> {
  return read(user, (await user.createTask(fields)).id);
}

/** Changes the task behind the client's back, so that the ETag it read is stale. */
async function changeMeanwhile(user: TestUser, id: number): Promise<void> {
  expect((await user.call('PATCH', `/tasks/${id}`, { json: { description: 'meanwhile' } })).status).to.equal(200);
}

/**
 * A task to end an atomic request with, and how to send that request: a create and a conditional
 * update that succeed, then the action under test (at index 2), so that its failure must undo them.
 */
async function endingAtomically(user: TestUser) {
  const ahead = await fresh(user);
  const target = await fresh(user);
  const send = (last: Record<string, unknown>) =>
    bulk(user, {
      atomic: true,
      actions: [
        { op: 'create', task: { title: 'Rolled back' } },
        { op: 'update', id: ahead.task.id, patch: { title: 'Rolled back' }, if_match: ahead.etag },
        last,
      ],
    });
  return { target, send };
}

async function snapshot(suite: ApiSuite, user: TestUser) {
  return { stored: await storedTasks(suite, user), audited: auditTrail(suite, user) };
}

describeEachDatabase('bulk actions: if_match and etag', (suite) => {
  describe('non-atomic', () => {
    it('runs update, complete and delete whose if_match names the current ETag, alone, in a list or as *', async () => {
      const alice = suite.newUser();
      for (const condition of [(etag: string) => etag, (etag: string) => ` W/"weak", "stale" , ${etag} `, () => '*']) {
        const tasks = [await fresh(alice), await fresh(alice), await fresh(alice)];
        const response = await bulk(alice, {
          actions: CONDITIONAL_OPS.map(({ op, fields }, i) => ({
            op,
            id: tasks[i]!.task.id,
            ...fields,
            if_match: condition(tasks[i]!.etag),
          })),
        });
        expect(statuses(response), condition('"current"')).to.deep.equal(CONDITIONAL_OPS.map(({ status }) => status));
      }
      expect((await listedTasks(alice)).map((task) => [task.title, task.completed])).to.deep.equal([
        ['Renamed', false],
        ['A task', true],
        ['Renamed', false],
        ['A task', true],
        ['Renamed', false],
        ['A task', true],
      ]);
    });

    it('fails an action whose if_match is stale (or the current tag, weak) with 412 and its problem, leaving its task as it was; the others apply', async () => {
      const alice = suite.newUser();
      const stale = await fresh(alice, { title: 'Stale' });
      await changeMeanwhile(alice, stale.task.id);
      const weak = await fresh(alice, { title: 'Weak' });
      const current = await fresh(alice, { title: 'Current' });
      const untouched = [await read(alice, stale.task.id), weak];
      const trailBefore = auditTrail(suite, alice);

      const response = await bulk(alice, {
        actions: [
          { op: 'update', id: stale.task.id, patch: { title: 'Lost update' }, if_match: stale.etag },
          { op: 'complete', id: current.task.id, completed: true, if_match: current.etag },
          { op: 'delete', id: weak.task.id, if_match: `W/${weak.etag}` },
          { op: 'create', task: { title: 'Made' } },
        ],
      });

      expect(response.status).to.equal(207);
      expect(statuses(response)).to.deep.equal([412, 200, 412, 201]);
      const problemOf = (index: number) => ({
        type: 'about:blank',
        title: 'Precondition Failed',
        status: 412,
        detail: STALE_DETAIL,
        instance: `/api/${alice.id}/tasks/bulk`,
        request_id: response.headers.get('x-request-id'),
        errors: [staleAt(index)],
      });
      const [first, , third, made] = response.body.results;
      expect(first).to.deep.equal({ index: 0, status: 412, problem: problemOf(0) });
      expect(third).to.deep.equal({ index: 2, status: 412, problem: problemOf(2) });
      for (const before of untouched) expect(await read(alice, before.task.id)).to.deep.equal(before);
      expect((await read(alice, current.task.id)).task.completed).to.equal(true);
      expect(auditTrail(suite, alice)).to.deep.equal([
        ...trailBefore,
        `task.complete ${current.task.id}`,
        `task.create ${made!.task!.id}`,
      ]);
    });

    it('answers 404, not 412, for a missing task even with if_match *', async () => {
      const response = await bulk(suite.newUser(), { actions: [{ op: 'delete', id: MISSING_TASK_ID, if_match: '*' }] });
      expect(statuses(response)).to.deep.equal([404]);
    });
  });

  it('gives each result with a task the ETag a GET answers for it, for the if_match of a later request', async () => {
    const alice = suite.newUser();
    const { task, etag } = await fresh(alice);
    const first = await bulk(alice, {
      actions: [
        { op: 'create', task: { title: 'Made' } },
        { op: 'update', id: task.id, patch: { priority: 'high' }, if_match: etag },
      ],
    });
    expect(statuses(first)).to.deep.equal([201, 200]);
    for (const result of first.body.results) {
      const now = await read(alice, result.task!.id);
      expect(result.task).to.deep.equal(now.task);
      expect(result.etag).to.equal(now.etag);
    }
    expect(first.body.results[1]!.etag).not.to.equal(etag);

    const [made, updated] = first.body.results;
    const second = await bulk(alice, {
      atomic: true,
      actions: [
        { op: 'complete', id: made!.task!.id, if_match: made!.etag },
        { op: 'delete', id: task.id, if_match: updated!.etag },
      ],
    });
    expect(statuses(second)).to.deep.equal([200, 204]);
    expect(second.body.results[0]!.etag).to.equal((await read(alice, made!.task!.id)).etag);
    expect(second.body.results[1]).to.deep.equal({ index: 1, status: 204 });
  });

  for (const atomic of [true, false]) {
    describe(`refused before any action runs (atomic: ${atomic})`, () => {
      it('a malformed if_match: 400 naming /actions/N/if_match', async () => {
        const alice = suite.newUser();
        const { task, etag } = await fresh(alice);
        for (const malformed of [etag.slice(1, -1), `${etag},`, `*, ${etag}`, '']) {
          const before = await snapshot(suite, alice);
          const response = await bulk(alice, {
            atomic,
            actions: [
              { op: 'create', task: { title: 'Not made' } },
              { op: 'delete', id: task.id, if_match: malformed },
            ],
          });
          const pointers = expectProblem(response, 400).errors?.map((issue) => issue.pointer);
          expect(pointers, `if_match: ${malformed}`).to.deep.equal(['/actions/1/if_match']);
          expect(await snapshot(suite, alice)).to.deep.equal(before);
        }
      });

      it('an if_match on a create: 400, a create has no task to compare', async () => {
        const alice = suite.newUser();
        const { task, etag } = await fresh(alice);
        const before = await snapshot(suite, alice);
        const response = await bulk(alice, {
          atomic,
          actions: [
            { op: 'delete', id: task.id, if_match: etag },
            { op: 'create', task: { title: 'New' }, if_match: '*' },
          ],
        });
        expect(expectProblem(response, 400).errors).to.deep.equal([
          { location: 'body', pointer: '/actions/1/if_match', message: 'must NOT have additional properties' },
        ]);
        expect(await snapshot(suite, alice)).to.deep.equal(before);
      });
    });
  }

  describe('atomic', () => {
    for (const { op, fields } of CONDITIONAL_OPS) {
      it(`a ${op} with a stale if_match is a 412 for the whole request, pointing at it, and nothing changes`, async () => {
        const alice = suite.newUser();
        const { target, send } = await endingAtomically(alice);
        await changeMeanwhile(alice, target.task.id);
        const before = await snapshot(suite, alice);

        const response = await send({ op, id: target.task.id, ...fields, if_match: target.etag });

        const problem = expectProblem(response, 412);
        expect(problem).to.include({ detail: STALE_DETAIL, instance: `/api/${alice.id}/tasks/bulk` });
        expect(problem.errors).to.deep.equal([staleAt(2)]);
        expect(await snapshot(suite, alice)).to.deep.equal(before);
      });
    }

    it("checks each if_match on the task as the earlier actions left it: the first action's write makes the second's tag stale", async () => {
      const alice = suite.newUser();
      const { task, etag } = await fresh(alice);
      const before = await snapshot(suite, alice);
      const response = await bulk(alice, {
        atomic: true,
        actions: [
          { op: 'update', id: task.id, patch: { title: 'First' }, if_match: etag },
          { op: 'complete', id: task.id, if_match: etag },
        ],
      });
      expect(expectProblem(response, 412).errors).to.deep.equal([staleAt(1)]);
      expect(await snapshot(suite, alice)).to.deep.equal(before);
    });
  });

  describe('on a server that requires If-Match', () => {
    let strict: TestServer | undefined;
    before(async () => {
      strict = await startTestServer(suite.database().knex, { http: { requireIfMatch: true } });
    });
    after(async () => strict?.close());

    for (const { op, fields } of CONDITIONAL_OPS) {
      it(`atomic: a ${op} without if_match is a 428 for the whole request, pointing at it, and nothing changes`, async () => {
        const alice = new TestUser(strict!.baseUrl);
        const { target, send } = await endingAtomically(alice);
        const before = await storedTasks(suite, alice);

        const response = await send({ op, id: target.task.id, ...fields });

        const problem = expectProblem(response, 428);
        expect(problem).to.include({
          detail: 'This action needs an if_match with the ETag of the task as last read.',
          instance: `/api/${alice.id}/tasks/bulk`,
        });
        expect(problem.errors).to.deep.equal([requiredAt(2)]);
        expect(await storedTasks(suite, alice)).to.deep.equal(before);
      });
    }

    it('non-atomic: each update, complete and delete without if_match fails alone with 428; creates and the conditional ones run', async () => {
      const alice = new TestUser(strict!.baseUrl);
      const unconditional = [await fresh(alice), await fresh(alice), await fresh(alice)];
      const conditional = [await fresh(alice), await fresh(alice), await fresh(alice)];

      const response = await bulk(alice, {
        actions: [
          ...CONDITIONAL_OPS.map(({ op, fields }, i) => ({ op, id: unconditional[i]!.task.id, ...fields })),
          { op: 'create', task: { title: 'Made' } },
          ...CONDITIONAL_OPS.map(({ op, fields }, i) => ({
            op,
            id: conditional[i]!.task.id,
            ...fields,
            if_match: conditional[i]!.etag,
          })),
        ],
      });

      expect(response.status).to.equal(207);
      expect(statuses(response)).to.deep.equal([428, 428, 428, 201, 200, 200, 204]);
      response.body.results.slice(0, 3).forEach((result, index) => {
        expect(result.problem).to.include({ status: 428, title: 'Precondition Required' });
        expect(result.problem?.errors).to.deep.equal([requiredAt(index)]);
      });
      for (const before of unconditional) expect(await read(alice, before.task.id)).to.deep.equal(before);
      expectProblem(await alice.call('GET', `/tasks/${conditional[2]!.task.id}`), 404);
    });
  });
});
