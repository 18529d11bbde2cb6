import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import {
  expectProblem,
  request,
  type ApiResponse,
  type Problem,
  type Task,
  type TestUser,
} from '../helpers/api-client.js';
import { auditTrail, listedTasks, storedTasks } from '../helpers/task-state.js';

type BulkResult = components['schemas']['BulkResult'];
type Issue = NonNullable<Problem['errors']>[number];

/** A task id no test creates (ids are an identity sequence starting at 1). */
const MISSING_TASK_ID = 8_765_432_109;

const NOT_YOURS = 'is not the id of one of your tasks';

/** Both ways to run a request's actions, with the status of an answer where every action could run. */
const MODES = [
  { name: 'atomic', fields: { atomic: true }, status: 200 },
  { name: 'non-atomic (the default)', fields: {}, status: 207 },
  { name: 'atomic: false', fields: { atomic: false }, status: 207 },
];

function bulk(user: TestUser, body: unknown): Promise<ApiResponse<BulkResult>> {
  return user.call<BulkResult>('POST', '/tasks/bulk', { json: body });
}

/** The results' statuses in order, once each result's index is checked to be its position. */
function statuses(response: ApiResponse<BulkResult>): number[] {
  expect(response.body.results.map((result) => result.index)).to.deep.equal(
    response.body.results.map((_, position) => position),
  );
  return response.body.results.map((result) => result.status);
}

const inBody = (pointer: string, message: string): Issue => ({ location: 'body', pointer, message });
/** A field the action's op requires, missing (the validator's words: each op has its own schema). */
const missing = (at: string, field: string) => inBody(`${at}/${field}`, `must have required property '${field}'`);
/** A field the action's op does not take. */
const notTaken = (pointer: string) => inBody(pointer, 'must NOT have additional properties');

/** Everything a request must leave alone when it is refused or rolled back: through the API, in the table, in the audit trail. */
async function snapshot(suite: ApiSuite, user: TestUser) {
  return { listed: await listedTasks(user), stored: await storedTasks(suite, user), audited: auditTrail(suite, user) };
}

describeEachDatabase('bulk task actions', (suite) => {
  describe('every op', () => {
    for (const mode of MODES) {
      it(`${mode.name}: runs create, update, complete (set and toggle) and delete in order, answering ${mode.status} with each result`, async () => {
        const alice = suite.newUser();
        const toRename = await alice.createTask({ title: 'Old name' });
        const toComplete = await alice.createTask({ title: 'Finish me' });
        const toReopen = await alice.createTask({ title: 'Reopen me', completed: true });
        const toDelete = await alice.createTask({ title: 'Delete me' });
        const unpatched = await alice.createTask({ title: 'Left as it is' });
        const trailBefore = auditTrail(suite, alice);

        const response = await bulk(alice, {
          ...mode.fields,
          actions: [
            { op: 'create', task: { title: ' Buy milk ', tags: ['Shopping', 'shopping '] } },
            { op: 'update', id: toRename.id, patch: { title: 'New name', priority: 'high' } },
            { op: 'complete', id: toComplete.id, completed: true },
            { op: 'complete', id: toReopen.id },
            { op: 'delete', id: toDelete.id },
            { op: 'update', id: unpatched.id, patch: {} },
          ],
        });

        expect(response.status).to.equal(mode.status);
        expect(statuses(response)).to.deep.equal([201, 200, 200, 200, 204, 200]);
        expect(response.body.results.map((result) => result.problem)).to.deep.equal([
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
        ]);
        const [created, renamed, completed, reopened, deleted, untouched] = response.body.results.map(
          (result) => result.task,
        );
        expect(created).to.include({ user_id: alice.id, title: 'Buy milk', completed: false });
        expect(created?.tags).to.deep.equal(['shopping']);
        expect(renamed).to.include({ id: toRename.id, title: 'New name', priority: 'high' });
        expect(completed).to.include({ id: toComplete.id, completed: true });
        expect(reopened).to.include({ id: toReopen.id, completed: false, completed_at: null });
        expect(deleted).to.equal(undefined);
        expect(untouched).to.deep.equal(unpatched);

        expect(await listedTasks(alice), 'the tasks as the results show them').to.deep.equal([
          renamed,
          completed,
          reopened,
          unpatched,
          created,
        ]);
        expect(auditTrail(suite, alice), 'one audit line per action that changed something').to.deep.equal([
          ...trailBefore,
          `task.create ${created?.id}`,
          `task.update ${toRename.id}`,
          `task.complete ${toComplete.id}`,
          `task.reopen ${toReopen.id}`,
          `task.delete ${toDelete.id}`,
        ]);
      });
    }
  });

  describe('atomic: all or nothing', () => {
    const failures: {
      name: string;
      action: (task: Task) => Record<string, unknown>;
      status: number;
      detail: string;
      issue: Issue;
    }[] = [
      {
        name: 'names a missing task',
        action: () => ({ op: 'delete', id: MISSING_TASK_ID }),
        status: 404,
        detail: `Task ${MISSING_TASK_ID} was not found.`,
        issue: inBody('/actions/2', NOT_YOURS),
      },
      {
        name: "breaks a create's task rule",
        action: () => ({
          op: 'create',
          task: {
            title: 'Ends before it starts',
            due_date: '2026-12-01',
            recurrence: { frequency: 'daily', until: '2026-11-30' },
          },
        }),
        status: 400,
        detail: 'The request is not valid.',
        issue: inBody('/actions/2/task/recurrence/until', 'must not be before the due date'),
      },
      {
        // The task has no due: a zone alone is refused on the task as patched.
        name: "breaks an update's task rule",
        action: (task) => ({ op: 'update', id: task.id, patch: { time_zone: 'Europe/Berlin' } }),
        status: 400,
        detail: 'The request is not valid.',
        issue: inBody('/actions/2/patch/time_zone', 'needs due_date or due_at'),
      },
      {
        // `İ` lower-cases to two code points: 40 of them are 80, over the limit only once normalised.
        name: 'has a tag too long once lower-cased',
        action: () => ({ op: 'create', task: { title: 'Long tag', tags: ['ok', 'İ'.repeat(40)] } }),
        status: 400,
        detail: 'The request is not valid.',
        issue: inBody('/actions/2/task/tags/1', 'must NOT have more than 40 characters in lower case'),
      },
    ];
    for (const { name, action, status, detail, issue } of failures) {
      it(`changes nothing when the 3rd of 4 actions ${name}: ${status} pointing at that action`, async () => {
        const alice = suite.newUser();
        const task = await alice.createTask({ title: 'Mine' });
        const before = await snapshot(suite, alice);

        const response = await bulk(alice, {
          atomic: true,
          actions: [
            { op: 'create', task: { title: 'Rolled back' } },
            { op: 'update', id: task.id, patch: { title: 'Rolled back', completed: true } },
            action(task),
            { op: 'delete', id: task.id },
          ],
        });

        const problem = expectProblem(response, status);
        expect(problem).to.include({ detail, instance: `/api/${alice.id}/tasks/bulk` });
        expect(problem.errors).to.deep.equal([issue]);
        expect(await snapshot(suite, alice)).to.deep.equal(before);
      });
    }

    it('runs each action on what the earlier ones left: completing a task deleted before is a 404, and the delete is undone', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask();
      const before = await snapshot(suite, alice);
      const response = await bulk(alice, {
        atomic: true,
        actions: [
          { op: 'delete', id: task.id },
          { op: 'complete', id: task.id },
        ],
      });
      expect(expectProblem(response, 404).errors).to.deep.equal([inBody('/actions/1', NOT_YOURS)]);
      expect(await snapshot(suite, alice)).to.deep.equal(before);
    });
  });

  it('runs atomic requests naming the same tasks in opposite orders side by side, without deadlock', async () => {
    const alice = suite.newUser();
    const [first, second] = [await alice.createTask({ title: 'A' }), await alice.createTask({ title: 'B' })];
    const rename = (ids: number[], title: string) =>
      bulk(alice, { atomic: true, actions: ids.map((id) => ({ op: 'update', id, patch: { title } })) });
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0 ? rename([first.id, second.id], `even ${i}`) : rename([second.id, first.id], `odd ${i}`),
      ),
    );
    expect(responses.map((response) => response.status)).to.deep.equal([200, 200, 200, 200, 200, 200]);
  });

  describe('non-atomic: each action on its own', () => {
    it('answers 207 with the successes applied and a problem document for each failure', async () => {
      const alice = suite.newUser();
      const toRename = await alice.createTask({ title: 'Old name' });
      const toDelete = await alice.createTask({ title: 'Delete me' });
      const trailBefore = auditTrail(suite, alice);

      const response = await bulk(alice, {
        actions: [
          { op: 'update', id: toRename.id, patch: { title: 'New name' } },
          { op: 'complete', id: MISSING_TASK_ID, completed: true },
          {
            op: 'create',
            task: {
              title: 'Ends early',
              due_date: '2026-12-01',
              recurrence: { frequency: 'daily', until: '2026-11-30' },
            },
          },
          { op: 'delete', id: toDelete.id },
          { op: 'create', task: { title: 'Made' } },
        ],
      });

      expect(response.status).to.equal(207);
      expect(statuses(response)).to.deep.equal([200, 404, 400, 204, 201]);
      const [renamed, missing, invalid, deleted, made] = response.body.results;
      const requestId = response.headers.get('x-request-id');
      const problemOf = (status: number, title: string, detail: string, errors: Issue[]) => ({
        type: 'about:blank',
        title,
        status,
        detail,
        instance: `/api/${alice.id}/tasks/bulk`,
        request_id: requestId,
        errors,
      });
      expect(missing).to.deep.equal({
        index: 1,
        status: 404,
        problem: problemOf(404, 'Not Found', `Task ${MISSING_TASK_ID} was not found.`, [
          inBody('/actions/1', NOT_YOURS),
        ]),
      });
      expect(invalid).to.deep.equal({
        index: 2,
        status: 400,
        problem: problemOf(400, 'Bad Request', 'The request is not valid.', [
          inBody('/actions/2/task/recurrence/until', 'must not be before the due date'),
        ]),
      });
      expect(renamed?.task).to.include({ id: toRename.id, title: 'New name' });
      expect(deleted).to.deep.equal({ index: deleted!.index, status: 204 });
      expect(made?.task).to.include({ title: 'Made' });

      expect(await listedTasks(alice)).to.deep.equal([renamed?.task, made?.task]);
      expect(auditTrail(suite, alice)).to.deep.equal([
        ...trailBefore,
        `task.update ${toRename.id}`,
        `task.delete ${toDelete.id}`,
        `task.create ${made?.task?.id}`,
      ]);
    });

    it('runs each action on what the earlier ones left: completing a task deleted before is a 404', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask();
      const response = await bulk(alice, {
        actions: [
          { op: 'delete', id: task.id },
          { op: 'complete', id: task.id },
        ],
      });
      expect(response.status).to.equal(207);
      expect(statuses(response)).to.deep.equal([204, 404]);
      expect(await listedTasks(alice)).to.deep.equal([]);
    });
  });

  describe("an action's fields must be its op's", () => {
    const misfits: { name: string; action: (id: number) => Record<string, unknown>; issues: Issue[] }[] = [
      {
        name: 'a create without task',
        action: () => ({ op: 'create' }),
        issues: [missing('/actions/1', 'task')],
      },
      {
        name: 'a create with id and completed',
        action: (id) => ({ op: 'create', id, task: { title: 'New' }, completed: true }),
        issues: [notTaken('/actions/1/id'), notTaken('/actions/1/completed')],
      },
      {
        name: 'an update without patch',
        action: (id) => ({ op: 'update', id }),
        issues: [missing('/actions/1', 'patch')],
      },
      {
        name: 'an update without id, with a task',
        action: () => ({ op: 'update', patch: { title: 'New' }, task: { title: 'New' } }),
        issues: [missing('/actions/1', 'id'), notTaken('/actions/1/task')],
      },
      {
        name: 'an update with completed',
        action: (id) => ({ op: 'update', id, patch: {}, completed: true }),
        issues: [notTaken('/actions/1/completed')],
      },
      {
        name: 'a complete without id',
        action: () => ({ op: 'complete', completed: true }),
        issues: [missing('/actions/1', 'id')],
      },
      {
        name: 'a complete with a patch',
        action: (id) => ({ op: 'complete', id, patch: { completed: true } }),
        issues: [notTaken('/actions/1/patch')],
      },
      {
        name: 'a delete without id',
        action: () => ({ op: 'delete' }),
        issues: [missing('/actions/1', 'id')],
      },
      {
        name: 'a delete with completed',
        action: (id) => ({ op: 'delete', id, completed: false }),
        issues: [notTaken('/actions/1/completed')],
      },
    ];
    for (const mode of MODES) {
      for (const { name, action, issues } of misfits) {
        it(`${mode.name}: refuses ${name} with 400 before running any action`, async () => {
          const alice = suite.newUser();
          const task = await alice.createTask();
          const before = await snapshot(suite, alice);
          const response = await bulk(alice, {
            ...mode.fields,
            actions: [{ op: 'delete', id: task.id }, action(task.id)],
          });
          expect(expectProblem(response, 400).errors).to.deep.equal(issues);
          expect(await snapshot(suite, alice)).to.deep.equal(before);
        });
      }
    }

    it('lists every misfit of every action at once', async () => {
      const alice = suite.newUser();
      const response = await bulk(alice, {
        actions: [
          { op: 'create', task: { title: 'Fine' } },
          { op: 'delete' },
          { op: 'complete', id: 1 },
          { op: 'create', id: 2 },
        ],
      });
      expect(expectProblem(response, 400).errors).to.deep.equal([
        missing('/actions/1', 'id'),
        missing('/actions/3', 'task'),
        notTaken('/actions/3/id'),
      ]);
      expect(await listedTasks(alice)).to.deep.equal([]);
    });

    it("points the spec's own checks into the action too", async () => {
      const alice = suite.newUser();
      const response = await bulk(alice, {
        actions: [
          { op: 'create', task: { title: '' } },
          { op: 'archive', id: 1 },
        ],
      });
      const pointers = expectProblem(response, 400).errors?.map((issue) => issue.pointer);
      expect(pointers).to.include.members(['/actions/0/task/title', '/actions/1/op']);
      expect(await listedTasks(alice)).to.deep.equal([]);
    });
  });

  describe('how many actions', () => {
    for (const mode of MODES) {
      it(`${mode.name}: runs 100 actions`, async () => {
        const alice = suite.newUser();
        const actions = Array.from({ length: 100 }, (_, i) => ({ op: 'create', task: { title: `Task ${i}` } }));
        const response = await bulk(alice, { ...mode.fields, actions });
        expect(response.status).to.equal(mode.status);
        expect(statuses(response)).to.deep.equal(actions.map(() => 201));
        expect((await listedTasks(alice)).map((task) => task.title)).to.deep.equal(
          actions.map((action) => action.task.title),
        );
      });
    }

    for (const count of [0, 101]) {
      it(`refuses ${count} actions with 400 and runs none`, async () => {
        const alice = suite.newUser();
        const actions = Array.from({ length: count }, () => ({ op: 'create', task: { title: 'Too many' } }));
        const problem = expectProblem(await bulk(alice, { actions }), 400);
        expect(problem.errors?.map((issue) => issue.pointer)).to.deep.equal(['/actions']);
        expect(await listedTasks(alice)).to.deep.equal([]);
      });
    }
  });

  it('is its own route, not a task whose id is "bulk": GET is a 405 allowing POST', async () => {
    const response = await suite.newUser().call('GET', '/tasks/bulk');
    expectProblem(response, 405);
    expect(response.headers.get('allow')).to.equal('POST');
  });

  describe('isolation between users', () => {
    const onAlicesTask = [
      { op: 'update', patch: { title: 'Taken over' } },
      { op: 'complete', completed: true },
      { op: 'complete' },
      { op: 'delete' },
    ];

    for (const fields of onAlicesTask) {
      const label = `${fields.op}${'completed' in fields ? ' with a state' : ''}`;
      it(`atomic: ${label} on another user's task is a 404 exactly as for a missing one, and changes nothing of either`, async () => {
        const alice = suite.newUser();
        const bob = suite.newUser();
        const task = await alice.createTask({ title: "Alice's", description: 'private notes' });
        const alicesBefore = await snapshot(suite, alice);
        const bobsBefore = await snapshot(suite, bob);

        const actions = (id: number) => [
          { op: 'create', task: { title: 'Rolled back' } },
          { ...fields, id },
        ];
        const onHers = expectProblem(await bulk(bob, { atomic: true, actions: actions(task.id) }), 404);
        const onNone = expectProblem(await bulk(bob, { atomic: true, actions: actions(MISSING_TASK_ID) }), 404);

        expect(onHers.detail).to.equal(`Task ${task.id} was not found.`);
        expect(onHers.errors).to.deep.equal([inBody('/actions/1', NOT_YOURS)]);
        expect({ ...onHers, detail: undefined, request_id: undefined }).to.deep.equal({
          ...onNone,
          detail: undefined,
          request_id: undefined,
        });
        expect(await snapshot(suite, alice)).to.deep.equal(alicesBefore);
        expect(await snapshot(suite, bob)).to.deep.equal(bobsBefore);
      });
    }

    it("non-atomic: every action on another user's task fails alone with 404, and hers stays as it was", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const task = await alice.createTask({ title: "Alice's", description: 'private notes' });
      const alicesBefore = await snapshot(suite, alice);

      const response = await bulk(bob, {
        actions: [
          ...onAlicesTask.map((fields) => ({ ...fields, id: task.id })),
          { op: 'create', task: { title: "Bob's" } },
        ],
      });

      expect(response.status).to.equal(207);
      expect(statuses(response)).to.deep.equal([404, 404, 404, 404, 201]);
      expect(JSON.stringify(response.body), 'nothing of her task leaks').not.to.include('private notes');
      expect(await snapshot(suite, alice)).to.deep.equal(alicesBefore);
      expect((await listedTasks(bob)).map((mine) => mine.title)).to.deep.equal(["Bob's"]);
    });

    it("answers 403 on another user's path and changes nothing", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const task = await alice.createTask();
      const before = await snapshot(suite, alice);
      const response = await bob.call('POST', `/api/${alice.id}/tasks/bulk`, {
        json: { atomic: true, actions: [{ op: 'delete', id: task.id }] },
      });
      expect(expectProblem(response, 403).title).to.equal('Forbidden');
      expect(await snapshot(suite, alice)).to.deep.equal(before);
    });

    it('answers 401 without a token and changes nothing', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask();
      const before = await snapshot(suite, alice);
      const response = await request(suite.server().baseUrl, 'POST', `/api/${alice.id}/tasks/bulk`, {
        json: { actions: [{ op: 'delete', id: task.id }] },
      });
      expectProblem(response, 401);
      expect(response.headers.get('www-authenticate')).to.equal('Bearer');
      expect(await snapshot(suite, alice)).to.deep.equal(before);
    });
  });

  describe('an unexpected error in an action', () => {
    // A trigger that fails one user's inserts of one title: a fault that no rule of the API explains.
    const TRIGGER = 'bulk_test_fault';
    async function withFaultFor<T>(user: TestUser, run: () => Promise<T>): Promise<T> {
      const { knex } = suite.database();
      await knex.raw(`create function ${TRIGGER}() returns trigger language plpgsql as $$
        begin
          if new.user_id = '${user.id}' and new.title = 'Fault' then raise exception 'injected fault'; end if;
          return new;
        end $$`);
      await knex.raw(`create trigger ${TRIGGER} before insert on tasks for each row execute function ${TRIGGER}()`);
      try {
        return await run();
      } finally {
        await knex.raw(`drop trigger ${TRIGGER} on tasks`);
        await knex.raw(`drop function ${TRIGGER}()`);
      }
    }
    const actions = [
      { op: 'create', task: { title: 'Before' } },
      { op: 'create', task: { title: 'Fault' } },
      { op: 'create', task: { title: 'After' } },
    ];

    it('non-atomic: fails the request with 500, keeping (and auditing) what the earlier actions did', async () => {
      const alice = suite.newUser();
      const existing = await alice.createTask({ title: 'Existing' });
      const response = await withFaultFor(alice, () => bulk(alice, { actions }));
      expect(expectProblem(response, 500).detail).to.equal('An unexpected error occurred.');
      const [kept, before, ...rest] = await listedTasks(alice);
      expect(kept).to.deep.equal(existing);
      expect(before?.title).to.equal('Before');
      expect(rest, 'nothing after the fault ran').to.deep.equal([]);
      expect(auditTrail(suite, alice)).to.deep.equal([`task.create ${existing.id}`, `task.create ${before?.id}`]);
    });

    it('atomic: fails the request with 500 and changes nothing', async () => {
      const alice = suite.newUser();
      await alice.createTask({ title: 'Existing' });
      const before = await snapshot(suite, alice);
      const response = await withFaultFor(alice, () => bulk(alice, { atomic: true, actions }));
      expect(expectProblem(response, 500).detail).to.equal('An unexpected error occurred.');
      expect(await snapshot(suite, alice)).to.deep.equal(before);
    });
  });
});
