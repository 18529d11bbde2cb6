import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/api-suite.js';
import type { ApiResponse, Problem, RequestOptions, Task, TestUser } from '../helpers/api-client.js';

/** A task id no test creates (ids are an identity sequence starting at 1). */
const MISSING_TASK_ID = 8_765_432_109;

interface TaskOperation {
  readonly name: string;
  readonly method: string;
  /** The path below `/api/{user_id}` for a task id. */
  readonly path: (taskId: number) => string;
  /** A request the validator accepts, so that only ownership decides the answer. */
  readonly options: RequestOptions;
}

/** Every operation on one task. */
const TASK_OPERATIONS: TaskOperation[] = [
  { name: 'getTask (GET)', method: 'GET', path: (id) => `/tasks/${id}`, options: {} },
  {
    name: 'replaceTask (PUT)',
    method: 'PUT',
    path: (id) => `/tasks/${id}`,
    options: { json: { title: 'Taken over', description: null, completed: true } },
  },
  {
    name: 'updateTask (PATCH)',
    method: 'PATCH',
    path: (id) => `/tasks/${id}`,
    options: { json: { title: 'Taken over' }, contentType: 'application/merge-patch+json' },
  },
  { name: 'deleteTask (DELETE)', method: 'DELETE', path: (id) => `/tasks/${id}`, options: {} },
  {
    name: 'completeTask with a state',
    method: 'PATCH',
    path: (id) => `/tasks/${id}/complete`,
    options: { json: { completed: true } },
  },
  { name: 'completeTask as a toggle', method: 'PATCH', path: (id) => `/tasks/${id}/complete`, options: {} },
  { name: 'moveTask (POST)', method: 'POST', path: (id) => `/tasks/${id}/move`, options: { json: {} } },
  { name: 'restoreTask (POST)', method: 'POST', path: (id) => `/tasks/${id}/restore`, options: {} },
  { name: 'purgeTask (DELETE)', method: 'DELETE', path: (id) => `/trash/${id}`, options: {} },
];

/** Every operation on one webhook (and, for a retry, one of its deliveries: the same id serves). */
const WEBHOOK_OPERATIONS: TaskOperation[] = [
  { name: 'getWebhook (GET)', method: 'GET', path: (id) => `/webhooks/${id}`, options: {} },
  {
    name: 'updateWebhook (PATCH)',
    method: 'PATCH',
    path: (id) => `/webhooks/${id}`,
    options: { json: { url: 'https://taken.example.com/over', enabled: false, rotate_secret: true } },
  },
  { name: 'deleteWebhook (DELETE)', method: 'DELETE', path: (id) => `/webhooks/${id}`, options: {} },
  { name: 'listWebhookDeliveries (GET)', method: 'GET', path: (id) => `/webhooks/${id}/deliveries`, options: {} },
  {
    name: 'retryWebhookDelivery (POST)',
    method: 'POST',
    path: (id) => `/webhooks/${id}/deliveries/${id}/retry`,
    options: {},
  },
];

/** Every operation under `/api/{user_id}`: the task operations plus the collection's. */
const ALL_USER_OPERATIONS: TaskOperation[] = [
  { name: 'listTasks (GET)', method: 'GET', path: () => '/tasks', options: {} },
  { name: 'createTask (POST)', method: 'POST', path: () => '/tasks', options: { json: { title: 'Planted' } } },
  // Refused before it streams: answered as any other request (a stream's own isolation: test/api/event-stream.test.ts).
  { name: 'streamEvents (GET)', method: 'GET', path: () => '/events', options: {} },
  ...TASK_OPERATIONS,
  { name: 'listWebhooks (GET)', method: 'GET', path: () => '/webhooks', options: {} },
  {
    name: 'createWebhook (POST)',
    method: 'POST',
    path: () => '/webhooks',
    options: { json: { url: 'https://planted.example.com/in', event_types: ['task.created'] } },
  },
  ...WEBHOOK_OPERATIONS,
];

/** A problem document with the task id taken out, to compare "not yours" with "not there". */
function shapeOf(response: ApiResponse, taskId: number): unknown {
  // Only where a task id is meant ("Task 42 was…", "…/tasks/42"), never inside the user id.
  const taskIdPlaces = new RegExp(`(?<=Task |/tasks/|/trash/)${taskId}\\b`, 'g');
  const anonymise = (value: unknown) => (typeof value === 'string' ? value.replace(taskIdPlaces, '{task_id}') : value);
  const { request_id: requestId, ...rest } = response.body as Record<string, unknown>;
  expect(requestId, 'request_id').to.be.a('string');
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    wwwAuthenticate: response.headers.get('www-authenticate'),
    body: Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, anonymise(value)])),
  };
}

/** A problem about a webhook with its id taken out, to compare "not yours" with "not there". */
function webhookShapeOf(response: ApiResponse, webhookId: number): unknown {
  const places = new RegExp(`(?<=Webhook |/webhooks/|/deliveries/)${webhookId}\\b`, 'g');
  const { request_id: requestId, ...rest } = response.body as Record<string, unknown>;
  expect(requestId, 'request_id').to.be.a('string');
  return {
    status: response.status,
    body: Object.fromEntries(
      Object.entries(rest).map(([key, value]) => [
        key,
        typeof value === 'string' ? value.replace(places, '{id}') : value,
      ]),
    ),
  };
}

async function listIds(user: TestUser, query = ''): Promise<number[]> {
  const response = await user.call<{ items: Task[] }>('GET', `/tasks${query}`);
  expect(response.status).to.equal(200);
  return response.body.items.map((task) => task.id);
}

describeEachDatabase('isolation between users', (suite) => {
  describe("another user's task, through the other user's own path, is indistinguishable from a missing one", () => {
    for (const operation of TASK_OPERATIONS) {
      it(`answers 404 to ${operation.name} exactly as for a nonexistent id, and leaves the task unchanged`, async () => {
        const alice = suite.newUser();
        const bob = suite.newUser();
        const task = await alice.createTask({ title: "Alice's", description: 'private notes' });

        const onAlicesTask = await bob.call<Problem>(operation.method, operation.path(task.id), operation.options);
        const onMissingTask = await bob.call(operation.method, operation.path(MISSING_TASK_ID), operation.options);

        expect(onAlicesTask.status).to.equal(404);
        expect(onAlicesTask.body.detail).to.equal(`Task ${task.id} was not found.`);
        expect(onAlicesTask.body.instance).to.equal(`/api/${bob.id}${operation.path(task.id)}`);
        expect(shapeOf(onAlicesTask, task.id)).to.deep.equal(shapeOf(onMissingTask, MISSING_TASK_ID));

        const after = await alice.call<Task>('GET', `/tasks/${task.id}`);
        expect(after.status).to.equal(200);
        expect(after.body, "Alice's task as she left it").to.deep.equal(task);
      });
    }

    it('keeps every one of them unchanged after all of them in a row', async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const task = await alice.createTask({ title: 'Survivor', description: 'still here' });
      for (const operation of TASK_OPERATIONS) {
        expect(
          (await bob.call(operation.method, operation.path(task.id), operation.options)).status,
          operation.name,
        ).to.equal(404);
      }
      expect((await alice.call<Task>('GET', `/tasks/${task.id}`)).body).to.deep.equal(task);
      expect(await listIds(alice)).to.deep.equal([task.id]);
    });
  });

  describe("another user's webhook, through the other user's own path, is indistinguishable from a missing one", () => {
    for (const operation of WEBHOOK_OPERATIONS) {
      it(`answers 404 to ${operation.name} exactly as for a nonexistent id, and leaves the webhook unchanged`, async () => {
        const alice = suite.newUser();
        const bob = suite.newUser();
        const created = await alice.call<{ id: number; secret: string }>('POST', '/webhooks', {
          json: { url: 'https://alice.example.com/in', event_types: ['task.created'], description: 'private' },
        });
        const { secret, ...webhook } = created.body;
        await alice.createTask();

        const onAlices = await bob.call<Problem>(operation.method, operation.path(webhook.id), operation.options);
        const onMissing = await bob.call(operation.method, operation.path(MISSING_TASK_ID), operation.options);
        expect(onAlices.status).to.equal(404);
        expect(onAlices.body.detail).to.equal(`Webhook ${webhook.id} was not found.`);
        expect(webhookShapeOf(onAlices, webhook.id)).to.deep.equal(webhookShapeOf(onMissing, MISSING_TASK_ID));
        expect(JSON.stringify(onAlices.body)).not.to.include('alice.example.com');

        expect((await alice.call('GET', `/webhooks/${webhook.id}`)).body).to.deep.equal(webhook);
        const [row] = await suite
          .database()
          .knex('webhooks')
          .select<{ secret: string }[]>('secret')
          .where('id', webhook.id);
        expect(row!.secret, 'the secret as it was').to.equal(secret);
        const deliveries = await alice.call<{ items: { status: string }[] }>(
          'GET',
          `/webhooks/${webhook.id}/deliveries`,
        );
        expect(deliveries.body.items.map((delivery) => delivery.status)).to.deep.equal(['pending']);
      });
    }
  });

  describe('lists', () => {
    it("never show another user's tasks, whatever the status filter", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const aliceOpen = await alice.createTask({ title: 'Alice open' });
      const aliceDone = await alice.createTask({ title: 'Alice done', completed: true });
      const bobOpen = await bob.createTask({ title: 'Bob open' });
      const bobDone = await bob.createTask({ title: 'Bob done', completed: true });

      expect(await listIds(bob)).to.deep.equal([bobDone.id, bobOpen.id]);
      expect(await listIds(bob, '?status=open')).to.deep.equal([bobOpen.id]);
      expect(await listIds(bob, '?status=completed')).to.deep.equal([bobDone.id]);
      expect(await listIds(alice)).to.deep.equal([aliceDone.id, aliceOpen.id]);
    });

    it('are empty for a user who has no tasks while others do', async () => {
      await suite.newUser().createTask();
      const response = await suite.newUser().call('GET', '/tasks');
      expect(response.body).to.deep.equal({ items: [], next_cursor: null });
    });

    it("page through only the caller's tasks", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const bobs: number[] = [];
      for (let i = 0; i < 3; i++) {
        await alice.createTask({ title: `Alice ${i}` });
        bobs.unshift((await bob.createTask({ title: `Bob ${i}` })).id);
      }
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
        const page: ApiResponse<{ items: Task[]; next_cursor: string | null }> = await bob.call(
          'GET',
          `/tasks${query}`,
        );
        expect(page.status).to.equal(200);
        seen.push(...page.body.items.map((task) => task.id));
        cursor = page.body.next_cursor;
      } while (cursor !== null);
      expect(seen).to.deep.equal(bobs);
    });
  });

  describe("another user's path", () => {
    for (const operation of ALL_USER_OPERATIONS) {
      it(`answers 403 to ${operation.name} and changes nothing`, async () => {
        const alice = suite.newUser();
        const bob = suite.newUser();
        const task = await alice.createTask({ title: "Alice's", description: 'private notes' });

        const response = await bob.call(
          operation.method,
          `/api/${alice.id}${operation.path(task.id)}`,
          operation.options,
        );
        expect(response.status).to.equal(403);
        expect(response.body).to.include({ title: 'Forbidden', status: 403 });
        expect(JSON.stringify(response.body), 'nothing of the task leaks').not.to.include('private notes');

        expect((await alice.call<Task>('GET', `/tasks/${task.id}`)).body).to.deep.equal(task);
        expect(await listIds(alice)).to.deep.equal([task.id]);
      });
    }
  });
});
