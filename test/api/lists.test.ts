import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, TestUser, type ApiResponse, type Task } from '../helpers/api-client.js';
import { adminKnex } from '../helpers/databases.js';
import { keyed, newKey } from '../helpers/idempotency-keys.js';
import { storedTasks } from '../helpers/task-state.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { IN_TEST_BOUND_MS, pollUntil } from '../helpers/wait.js';

// Issue 16: the lists operations (moveList aside), and tasks as they live in lists.

type List = components['schemas']['List'];
type ListCollection = components['schemas']['ListCollection'];
type TaskList = components['schemas']['TaskList'];

/** The user's lists path, or one list's: `/api/{user}/lists...`. */
const listsPath = (user: TestUser, rest = '') => `/api/${encodeURIComponent(user.id)}/lists${rest}`;

async function createList(user: TestUser, fields: Record<string, unknown> = {}): Promise<List> {
  const response = await user.call<List>('POST', listsPath(user), { json: { name: 'Groceries', ...fields } });
  expect(response.status, JSON.stringify(response.body)).to.equal(201);
  return response.body;
}

async function listsOf(user: TestUser): Promise<List[]> {
  const response = await user.call<ListCollection>('GET', listsPath(user));
  expect(response.status).to.equal(200);
  return response.body.items;
}

async function etagOf(user: TestUser, list: List): Promise<string> {
  const response = await user.call<List>('GET', listsPath(user, `/${list.id}`));
  expect(response.status).to.equal(200);
  return response.headers.get('etag')!;
}

/** The user's list rows as stored, past the API. */
function storedLists(suite: ApiSuite, user: TestUser): Promise<Record<string, unknown>[]> {
  return suite.database().knex('lists').where('user_id', user.id).orderBy('id');
}

/** A 409 conflict whose detail says `detail`. */
function expectConflict(response: ApiResponse, detail: string | RegExp): void {
  const problem = expectProblem(response, 409);
  expect(problem.type).to.equal('about:blank');
  if (typeof detail === 'string') expect(problem.detail).to.equal(detail);
  else expect(problem.detail).to.match(detail);
}

const nameTaken = (name: string) =>
  `A list named ${JSON.stringify(name)} already exists (names are compared case-insensitively).`;

/** The audit lines logged for the user's lists, as `action list_id`. */
function listAuditTrail(server: TestServer, user: TestUser): string[] {
  return server.logs.flatMap((line) => {
    const audit = line.audit as { action: string; user_id: string; list_id?: number } | undefined;
    return audit?.user_id === user.id && audit.list_id !== undefined ? [`${audit.action} ${audit.list_id}`] : [];
  });
}

describeEachDatabase('lists: each operation', (suite) => {
  describe('listLists', () => {
    it('shows a new user exactly one list, the default Inbox, made on first sight and made once', async () => {
      const alice = suite.newUser();
      const [first, second] = await Promise.all([listsOf(alice), listsOf(alice)]);
      expect(first).to.have.length(1);
      expect(first[0]).to.include({ user_id: alice.id, name: 'Inbox', color: null, is_default: true });
      expect(second).to.deep.equal(first);
      expect(await storedLists(suite, alice)).to.have.length(1);
    });

    it('orders the lists by position, with an ETag over the whole answer; If-None-Match answers 304 until a list changes', async () => {
      const alice = suite.newUser();
      const a = await createList(alice, { name: 'A' });
      const b = await createList(alice, { name: 'B' });
      const response = await alice.call<ListCollection>('GET', listsPath(alice));
      const items = response.body.items;
      expect(items.map((list) => list.name)).to.deep.equal(['Inbox', 'A', 'B']);
      const positions = items.map((list) => list.position);
      expect([...positions].sort()).to.deep.equal(positions);
      const etag = response.headers.get('etag')!;
      expect(etag).to.match(/^"[\w-]+"$/);

      const unchanged = await alice.call('GET', listsPath(alice), { headers: { 'If-None-Match': etag } });
      expect(unchanged.status).to.equal(304);
      expect(unchanged.headers.get('etag')).to.equal(etag);
      expect((await alice.call('GET', listsPath(alice), { headers: { 'If-None-Match': '"other"' } })).status).to.equal(
        200,
      );

      expect((await alice.call('PATCH', listsPath(alice, `/${a.id}`), { json: { color: '#000000' } })).status).to.equal(
        200,
      );
      const changed = await alice.call<ListCollection>('GET', listsPath(alice), { headers: { 'If-None-Match': etag } });
      expect(changed.status).to.equal(200);
      expect(changed.headers.get('etag')).to.not.equal(etag);
      expect(changed.body.items.map((list) => list.id)).to.deep.equal([items[0]!.id, a.id, b.id]);
    });

    it("answers 403 for another user's lists", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      expectProblem(await bob.call('GET', listsPath(alice)), 403);
    });
  });

  describe('createList', () => {
    it('creates a list last, with a trimmed name, a lower-case colour, a Location and an ETag', async () => {
      const alice = suite.newUser();
      const response = await alice.call<List>('POST', listsPath(alice), {
        json: { name: '  Groceries  ', color: '#1E90FF' },
      });
      expect(response.status).to.equal(201);
      const list = response.body;
      expect(list).to.include({ user_id: alice.id, name: 'Groceries', color: '#1e90ff', is_default: false });
      expect(list.created_at).to.equal(list.updated_at);
      expect(response.headers.get('location')).to.equal(`/api/${alice.id}/lists/${list.id}`);
      expect(response.headers.get('etag')).to.equal(await etagOf(alice, list));
      const [inbox, created] = await listsOf(alice);
      expect(created).to.deep.equal(list);
      expect(inbox!.position < list.position, 'after the default list').to.equal(true);
      expect(await createList(alice, { name: 'No colour' })).to.include({ color: null });
    });

    it('refuses a blank name at /name, and server-owned fields, with 400', async () => {
      const alice = suite.newUser();
      for (const name of ['   ', '', '\u200b']) {
        const problem = expectProblem(await alice.call('POST', listsPath(alice), { json: { name } }), 400);
        expect(problem.errors?.map((issue) => issue.pointer)).to.deep.equal(['/name']);
      }
      const owned = await alice.call('POST', listsPath(alice), { json: { name: 'Mine', is_default: true } });
      expect(expectProblem(owned, 400).errors?.map((issue) => issue.pointer)).to.deep.equal(['/is_default']);
      expect(await storedLists(suite, alice)).to.have.length(0);
    });

    it('refuses a name the user already has, compared case-insensitively, with a 409 naming it', async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      await createList(alice, { name: 'Work' });
      const taken = await alice.call('POST', listsPath(alice), { json: { name: ' WORK ' } });
      expectConflict(taken, nameTaken('WORK'));
      expect(expectProblem(taken, 409).errors?.map((issue) => issue.pointer)).to.deep.equal(['/name']);
      // The default list's name is taken too, even before the user first listed their lists.
      expectConflict(await bob.call('POST', listsPath(bob), { json: { name: 'inbox' } }), nameTaken('inbox'));
      // Another user's names are theirs.
      await createList(bob, { name: 'work' });
      expect((await listsOf(alice)).map((list) => list.name)).to.deep.equal(['Inbox', 'Work']);
    });

    it('lets exactly one of concurrent creates of one name through; the others are 409s, never 500s', async () => {
      const alice = suite.newUser();
      // The default list made beforehand: its making would hold the others back, hiding any race.
      await listsOf(alice);
      const responses = await Promise.all(
        ['Trip', 'trip', 'TRIP', 'Trip'].map((name) => alice.call('POST', listsPath(alice), { json: { name } })),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).to.deep.equal([201, 409, 409, 409]);
      for (const response of responses.filter((each) => each.status === 409))
        expectConflict(response, /^A list named "(Trip|trip|TRIP)" already exists/);
      expect(await storedLists(suite, alice)).to.have.length(2);
    });

    it('replays a create with the same Idempotency-Key: one list, the same answer', async () => {
      const alice = suite.newUser();
      const key = newKey();
      const send = () => alice.call<List>('POST', listsPath(alice), { json: { name: 'Once' }, headers: keyed(key) });
      const first = await send();
      const again = await send();
      expect(first.status).to.equal(201);
      expect(again.status).to.equal(201);
      expect(again.body).to.deep.equal(first.body);
      expect(again.headers.get('etag')).to.equal(first.headers.get('etag'));
      expect(again.headers.get('location')).to.equal(first.headers.get('location'));
      expect((await listsOf(alice)).map((list) => list.name)).to.deep.equal(['Inbox', 'Once']);
      // The same key with another request: refused, and nothing written.
      const other = await alice.call('POST', listsPath(alice), { json: { name: 'Twice' }, headers: keyed(key) });
      expect(expectProblem(other, 422).detail).to.be.a('string');
      expect((await listsOf(alice)).map((list) => list.name)).to.deep.equal(['Inbox', 'Once']);
    });
  });

  describe('getList', () => {
    it('gets a list with its ETag; If-None-Match with it answers 304', async () => {
      const alice = suite.newUser();
      const list = await createList(alice);
      const response = await alice.call<List>('GET', listsPath(alice, `/${list.id}`));
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal(list);
      const etag = response.headers.get('etag')!;
      const current = await alice.call('GET', listsPath(alice, `/${list.id}`), { headers: { 'If-None-Match': etag } });
      expect(current.status).to.equal(304);
      expect(current.headers.get('etag')).to.equal(etag);
      expect(
        (await alice.call('GET', listsPath(alice, `/${list.id}`), { headers: { 'If-None-Match': `W/${etag}` } }))
          .status,
      ).to.equal(304);
    });

    it("answers 404 for a missing list and for another user's, everywhere", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const list = await createList(alice);
      for (const user of [alice, bob]) {
        const id = user === alice ? 987654321 : list.id;
        const path = listsPath(user, `/${id}`);
        const answers = [
          await user.call('GET', path),
          await user.call('PATCH', path, { json: { name: 'Taken over' } }),
          await user.call('PATCH', path, { json: {} }),
          await user.call('DELETE', path),
          await user.call('DELETE', path, { headers: { 'If-Match': '*' } }),
        ];
        for (const answer of answers) expect(expectProblem(answer, 404).detail).to.equal(`List ${id} was not found.`);
      }
      expect(await listsOf(alice)).to.deep.include(list);
    });
  });

  describe('updateList', () => {
    it('changes only the given fields (merge patch): a name trimmed, a colour in lower case, null clears it', async () => {
      const alice = suite.newUser();
      const list = await createList(alice, { name: 'Old', color: '#ABCDEF' });
      const renamed = await alice.call<List>('PATCH', listsPath(alice, `/${list.id}`), {
        json: { name: '  New  ' },
        contentType: 'application/merge-patch+json',
      });
      expect(renamed.status).to.equal(200);
      expect(renamed.body).to.include({ name: 'New', color: '#abcdef', position: list.position });
      expect(Date.parse(renamed.body.updated_at)).to.be.at.least(Date.parse(list.updated_at));
      expect(renamed.headers.get('etag')).to.equal(await etagOf(alice, renamed.body));
      const recoloured = await alice.call<List>('PATCH', listsPath(alice, `/${list.id}`), {
        json: { color: '#FFFFFF' },
      });
      expect(recoloured.body).to.include({ name: 'New', color: '#ffffff' });
      const cleared = await alice.call<List>('PATCH', listsPath(alice, `/${list.id}`), { json: { color: null } });
      expect(cleared.body).to.include({ name: 'New', color: null });
      expect(cleared.body.created_at).to.equal(list.created_at);
    });

    it('keeps updated_at and the ETag when nothing changes, and treats an empty patch as no change', async () => {
      const alice = suite.newUser();
      const list = await createList(alice, { name: 'Same', color: '#123456' });
      const etag = await etagOf(alice, list);
      for (const json of [{}, { name: 'Same', color: '#123456' }, { name: ' Same ' }]) {
        const response = await alice.call<List>('PATCH', listsPath(alice, `/${list.id}`), { json });
        expect(response.status).to.equal(200);
        expect(response.body).to.deep.equal(list);
        expect(response.headers.get('etag')).to.equal(etag);
      }
    });

    it('renames a list to another case of its own name, and renames the default list', async () => {
      const alice = suite.newUser();
      const list = await createList(alice, { name: 'work' });
      const recased = await alice.call<List>('PATCH', listsPath(alice, `/${list.id}`), { json: { name: 'Work' } });
      expect(recased.status).to.equal(200);
      expect(recased.body.name).to.equal('Work');
      const inbox = (await listsOf(alice))[0]!;
      const renamed = await alice.call<List>('PATCH', listsPath(alice, `/${inbox.id}`), { json: { name: 'Home' } });
      expect(renamed.status).to.equal(200);
      expect(renamed.body).to.include({ name: 'Home', is_default: true });
      // Its old name is free now.
      expect(await createList(alice, { name: 'Inbox' })).to.include({ is_default: false });
    });

    it("refuses another list's name with a 409 and changes nothing", async () => {
      const alice = suite.newUser();
      const list = await createList(alice, { name: 'Mine' });
      await createList(alice, { name: 'Theirs' });
      const taken = await alice.call('PATCH', listsPath(alice, `/${list.id}`), {
        json: { name: 'THEIRS', color: '#000000' },
      });
      expectConflict(taken, nameTaken('THEIRS'));
      expect((await alice.call<List>('GET', listsPath(alice, `/${list.id}`))).body).to.deep.equal(list);
    });

    it('writes only with a current If-Match (412 otherwise, nothing changed)', async () => {
      const alice = suite.newUser();
      const list = await createList(alice, { name: 'Guarded' });
      const etag = await etagOf(alice, list);
      const path = listsPath(alice, `/${list.id}`);
      for (const stale of ['"stale"', `W/${etag}`]) {
        const refused = await alice.call('PATCH', path, { json: { name: 'Lost' }, headers: { 'If-Match': stale } });
        expect(expectProblem(refused, 412).detail).to.equal(
          'The list has changed since it was read (If-Match); nothing was written.',
        );
        expectProblem(await alice.call('PATCH', path, { json: {}, headers: { 'If-Match': stale } }), 412);
      }
      const written = await alice.call<List>('PATCH', path, { json: { name: 'Won' }, headers: { 'If-Match': etag } });
      expect(written.status).to.equal(200);
      expect(written.body.name).to.equal('Won');
      expectProblem(await alice.call('PATCH', path, { json: { name: 'Again' }, headers: { 'If-Match': etag } }), 412);
      expect(
        (await alice.call('PATCH', path, { json: { name: 'Any' }, headers: { 'If-Match': '*' } })).status,
      ).to.equal(200);
    });
  });

  describe('deleteList', () => {
    it('deletes a list (204), after which it is gone', async () => {
      const alice = suite.newUser();
      const list = await createList(alice);
      const response = await alice.call('DELETE', listsPath(alice, `/${list.id}`));
      expect(response.status).to.equal(204);
      expect(response.body).to.equal(undefined);
      expectProblem(await alice.call('GET', listsPath(alice, `/${list.id}`)), 404);
      expectProblem(await alice.call('DELETE', listsPath(alice, `/${list.id}`)), 404);
      expect((await listsOf(alice)).map((each) => each.id)).to.not.include(list.id);
      // Its name is free again.
      await createList(alice);
    });

    it('refuses to delete the default list with a 409', async () => {
      const alice = suite.newUser();
      const inbox = (await listsOf(alice))[0]!;
      const refused = await alice.call('DELETE', listsPath(alice, `/${inbox.id}`), { headers: { 'If-Match': '*' } });
      expectConflict(
        refused,
        `List ${inbox.id} is your default list, where tasks without a list go: it can be renamed but not deleted.`,
      );
      expect(await listsOf(alice)).to.deep.equal([inbox]);
    });

    it('deletes only with a current If-Match (412 otherwise, nothing deleted)', async () => {
      const alice = suite.newUser();
      const list = await createList(alice);
      const etag = await etagOf(alice, list);
      const task = await alice.createTask({ list_id: list.id });
      const path = listsPath(alice, `/${list.id}`);
      // A change since the ETag was read makes it stale.
      expect((await alice.call('PATCH', path, { json: { color: '#010101' } })).status).to.equal(200);
      expectProblem(await alice.call('DELETE', path, { headers: { 'If-Match': etag } }), 412);
      expect((await alice.call('GET', `/tasks/${task.id}`)).status).to.equal(200);
      expect(
        (await alice.call('DELETE', path, { headers: { 'If-Match': await etagOf(alice, list) } })).status,
      ).to.equal(204);
    });

    it('moves its tasks to the trash, each top-level task as an item with its subtasks, then deletes it', async () => {
      const alice = suite.newUser();
      const list = await createList(alice);
      const kept = await alice.createTask({ title: 'Elsewhere' });
      const top = await alice.createTask({ title: 'Top', list_id: list.id });
      const child = await alice.createTask({ title: 'Child', parent_id: top.id });
      const grandchild = await alice.createTask({ title: 'Grandchild', parent_id: child.id });
      const other = await alice.createTask({ title: 'Other top', list_id: list.id });
      const trashedBefore = await alice.createTask({ title: 'Trashed before', parent_id: other.id });
      expect(child.list_id).to.equal(list.id);
      expect((await alice.call('DELETE', `/tasks/${trashedBefore.id}`)).status).to.equal(204);

      expect((await alice.call('DELETE', listsPath(alice, `/${list.id}`))).status).to.equal(204);

      const stored = new Map((await storedTasks(suite, alice)).map((row) => [row.id as number, row]));
      const trashRoot = (task: Task) => stored.get(task.id)!.trash_root as number | null;
      expect(trashRoot(top)).to.equal(top.id);
      expect(trashRoot(child)).to.equal(top.id);
      expect(trashRoot(grandchild)).to.equal(top.id);
      expect(trashRoot(other)).to.equal(other.id);
      expect(trashRoot(trashedBefore), 'a task already in the trash stays its own item').to.equal(trashedBefore.id);
      expect(trashRoot(kept)).to.equal(null);
      for (const task of [top, child, grandchild, other, trashedBefore]) {
        expect(stored.get(task.id)!.deleted_at, `task ${task.title}`).to.be.instanceOf(Date);
        expect(stored.get(task.id)!.list_id, `task ${task.title}`).to.equal(null);
        expectProblem(await alice.call('GET', `/tasks/${task.id}`), 404);
      }
      expect(stored.get(kept.id)!.deleted_at).to.equal(null);
      const listed = await alice.call<TaskList>('GET', '/tasks?limit=100');
      expect(listed.body.items.map((task) => task.id)).to.deep.equal([kept.id]);
      // The list is gone for the tasks too.
      expect(await storedLists(suite, alice)).to.have.length(1);
      const late = await alice.call('POST', '/tasks', { json: { title: 'Late', list_id: list.id } });
      expect(expectProblem(late, 409).errors?.map((issue) => issue.pointer)).to.deep.equal(['/list_id']);
    });
  });

  describe('tasks in lists', () => {
    it('puts a task created without list_id in the default list, and one with list_id in that list', async () => {
      const alice = suite.newUser();
      const inTheInbox = await alice.createTask();
      const inbox = (await listsOf(alice))[0]!;
      expect(inTheInbox.list_id).to.equal(inbox.id);
      const list = await createList(alice);
      const inTheList = await alice.createTask({ list_id: list.id });
      expect(inTheList).to.include({ list_id: list.id, parent_id: null });
      expect((await alice.createTask({ parent_id: inTheList.id })).list_id).to.equal(list.id);
    });

    it('lists the top-level tasks of one list with list_id, and answers 404 for a list the user does not have', async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const list = await createList(alice);
      await alice.createTask({ title: 'In the inbox' });
      const first = await alice.createTask({ title: 'First', list_id: list.id });
      await alice.createTask({ title: 'Sub', parent_id: first.id });
      const second = await alice.createTask({ title: 'Second', list_id: list.id });
      const listed = await alice.call<TaskList>('GET', `/tasks?list_id=${list.id}`);
      expect(listed.status).to.equal(200);
      expect(listed.body.items.map((task) => task.id)).to.deep.equal([second.id, first.id]);
      expect(expectProblem(await alice.call('GET', '/tasks?list_id=987654321'), 404).detail).to.equal(
        'List 987654321 was not found.',
      );
      expectProblem(await bob.call('GET', `/tasks?list_id=${list.id}`), 404);
    });

    it("refuses another user's list as a new task's list_id with a 409 at /list_id", async () => {
      const alice = suite.newUser();
      const bob = suite.newUser();
      const list = await createList(alice);
      const refused = await bob.call('POST', '/tasks', { json: { title: 'Planted', list_id: list.id } });
      expect(expectProblem(refused, 409).errors?.map((issue) => issue.pointer)).to.deep.equal(['/list_id']);
      expect(await storedTasks(suite, bob)).to.have.length(0);
    });
  });

  describe('audit trail', () => {
    it('writes one line per create, update and delete of a list; none for reads, refusals or a patch that asks for nothing', async () => {
      const alice = suite.newUser();
      const list = await createList(alice);
      await alice.call('PATCH', listsPath(alice, `/${list.id}`), { json: { name: 'Renamed' } });
      await alice.call('PATCH', listsPath(alice, `/${list.id}`), { json: {} });
      await alice.call('GET', listsPath(alice, `/${list.id}`));
      await alice.call('POST', listsPath(alice), { json: { name: 'renamed' } });
      const inbox = (await listsOf(alice))[0]!;
      await alice.call('DELETE', listsPath(alice, `/${inbox.id}`));
      await alice.call('DELETE', listsPath(alice, `/${list.id}`));
      // The log is written asynchronously: the last line may trail its response a little.
      await pollUntil(() => listAuditTrail(suite.server(), alice).length >= 3, 'the audit lines', {
        ms: IN_TEST_BOUND_MS,
      });
      expect(listAuditTrail(suite.server(), alice)).to.deep.equal([
        `list.create ${list.id}`,
        `list.update ${list.id}`,
        `list.delete ${list.id}`,
      ]);
    });
  });

  describe('a task created into a list being deleted', () => {
    it('waits for the delete, then is refused with a 409 at /list_id, never a 500 (PostgreSQL: sessions that wait)', async function () {
      const directUrl = suite.database().directUrl;
      if (suite.kind === 'pglite' || directUrl === undefined) this.skip();
      const alice = suite.newUser();
      const list = await createList(alice);
      const task = await alice.createTask({ list_id: list.id });
      const sessions = adminKnex(directUrl, 2);
      const holder = await sessions.transaction();
      try {
        // The test holds the list's task, so that the delete, once it holds the list, waits to trash it.
        await holder.raw('select 1 from tasks where id = ? for update', [task.id]);
        const waiting = async () =>
          (
            await sessions.raw<{ rows: unknown[] }>(
              'select 1 from pg_stat_activity where datname = current_database() and cardinality(pg_blocking_pids(pid)) > 0',
            )
          ).rows.length;
        const deletion = alice.call('DELETE', listsPath(alice, `/${list.id}`));
        await pollUntil(async () => (await waiting()) === 1, "the delete to wait for the list's task", {
          ms: IN_TEST_BOUND_MS,
        });
        const creation = alice.call('POST', '/tasks', { json: { title: 'Into the void', list_id: list.id } });
        await pollUntil(async () => (await waiting()) === 2, 'the create to wait for the delete', {
          ms: IN_TEST_BOUND_MS,
        });
        await holder.rollback();
        expect((await deletion).status).to.equal(204);
        const refused = await creation;
        expect(expectProblem(refused, 409).errors?.map((issue) => issue.pointer)).to.deep.equal(['/list_id']);
        expect(await storedLists(suite, alice)).to.have.length(1);
        expect((await storedTasks(suite, alice)).map((row) => row.title)).to.deep.equal([task.title]);
      } finally {
        if (!holder.isCompleted()) await holder.rollback();
        await sessions.destroy();
      }
    });
  });

  describe('this suite as a whole', () => {
    it('never answered or logged a server error', () => {
      const serverErrors = suite
        .server()
        .logs.filter(
          (line) =>
            ((line.res as { statusCode?: number } | undefined)?.statusCode ?? 0) >= 500 ||
            (line.level as number) >= 50 ||
            line.err !== undefined,
        );
      expect(serverErrors.map((line) => JSON.stringify(line))).to.deep.equal([]);
    });
  });
});

describeEachDatabase('lists: on a server that requires If-Match', (suite) => {
  let strict: TestServer | undefined;
  before(async () => {
    strict = await startTestServer(suite.database().knex, { http: { requireIfMatch: true } });
  });
  after(async () => strict?.close());

  it('answers 428 to an update or a delete without If-Match and writes nothing; creates and reads need none', async () => {
    const alice = new TestUser(strict!.baseUrl);
    const list = await createList(alice, { name: 'Strict' });
    const path = listsPath(alice, `/${list.id}`);
    for (const refused of [
      await alice.call('PATCH', path, { json: { name: 'Lax' } }),
      await alice.call('PATCH', path, { json: {} }),
      await alice.call('DELETE', path),
    ]) {
      expect(expectProblem(refused, 428).detail).to.equal(
        'This write needs an If-Match header with the ETag of the list as last read.',
      );
    }
    expect((await alice.call<List>('GET', path)).body).to.deep.equal(list);
    const etag = await etagOf(alice, list);
    const renamed = await alice.call<List>('PATCH', path, { json: { name: 'Lax' }, headers: { 'If-Match': etag } });
    expect(renamed.status).to.equal(200);
    const deleted = await alice.call('DELETE', path, { headers: { 'If-Match': renamed.headers.get('etag')! } });
    expect(deleted.status).to.equal(204);
  });
});

describeEachDatabase('lists: the lists quota', (suite) => {
  const LIMIT = 2;
  let server: TestServer | undefined;
  before(async () => {
    server = await startTestServer(suite.database().knex, { quotas: { listsPerUser: LIMIT } });
  });
  after(async () => server?.close());

  function expectListsQuotaExceeded(response: ApiResponse, used: number): void {
    const problem = expectProblem(response, 409);
    expect(problem.type).to.equal('/docs#section/Quotas');
    expect(problem.quota).to.deep.equal({ name: 'lists', limit: LIMIT, used });
    expect(problem.detail).to.equal(
      `This request would exceed the lists quota of ${LIMIT} (${used} in use); nothing was written.`,
    );
  }

  it('counts the default list and stops exactly at the limit; a deleted list frees its room', async () => {
    const alice = new TestUser(server!.baseUrl);
    const first = await createList(alice, { name: 'One' });
    expectListsQuotaExceeded(await alice.call('POST', listsPath(alice), { json: { name: 'Two' } }), LIMIT);
    expect(await storedLists(suite, alice)).to.have.length(LIMIT);
    expect((await alice.call('DELETE', listsPath(alice, `/${first.id}`))).status).to.equal(204);
    await createList(alice, { name: 'Two' });
  });

  it('lets concurrent creates take exactly the room left', async () => {
    const alice = new TestUser(server!.baseUrl);
    // The default list made beforehand: its making would hold the others back, hiding any race.
    await listsOf(alice);
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => alice.call('POST', listsPath(alice), { json: { name: `List ${i}` } })),
    );
    const created = responses.filter((response) => response.status === 201);
    expect(created).to.have.length(LIMIT - 1);
    for (const response of responses.filter((each) => each.status !== 201)) expectListsQuotaExceeded(response, LIMIT);
    expect(await storedLists(suite, alice)).to.have.length(LIMIT);
  });
});
