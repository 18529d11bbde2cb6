import { expect } from 'chai';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, TestUser, type ApiResponse, type Task } from '../helpers/api-client.js';
import { storedTasks } from '../helpers/task-state.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface Write {
  readonly name: string;
  readonly status: 200 | 204;
  /** Sends the write, which would change the task, with these extra headers. */
  send(user: TestUser, id: number, headers?: Record<string, string>): Promise<ApiResponse>;
}

/** The four writes that take `If-Match`, each one a real change to a fresh, open task. */
const WRITES: readonly Write[] = [
  {
    name: 'PUT (replaceTask)',
    status: 200,
    send: (user, id, headers) =>
      user.call('PUT', `/tasks/${id}`, { json: { title: 'Replaced', description: 'new', completed: false }, headers }),
  },
  {
    name: 'PATCH (updateTask)',
    status: 200,
    send: (user, id, headers) =>
      user.call('PATCH', `/tasks/${id}`, {
        json: { title: 'Patched' },
        contentType: 'application/merge-patch+json',
        headers,
      }),
  },
  {
    name: 'DELETE (deleteTask)',
    status: 204,
    send: (user, id, headers) => user.call('DELETE', `/tasks/${id}`, { headers }),
  },
  {
    name: 'PATCH complete (completeTask)',
    status: 200,
    send: (user, id, headers) => user.call('PATCH', `/tasks/${id}/complete`, { json: { completed: true }, headers }),
  },
];

/** The response's ETag, checked to be a strong tag of the spec's form. */
function etagOf(response: ApiResponse): string {
  const etag = response.headers.get('etag');
  expect(etag, `${response.status} ${JSON.stringify(response.body)}`)
    .to.be.a('string')
    .and.match(/^"[A-Za-z0-9_-]{1,60}"$/);
  return etag!;
}

async function read(user: TestUser, id: number): Promise<{ task: Task; etag: string }> {
  const response = await user.call<Task>('GET', `/tasks/${id}`);
  expect(response.status).to.equal(200);
  return { task: response.body, etag: etagOf(response) };
}

/** A task with its ETag as created. */
async function created(user: TestUser, fields: Record<string, unknown> = {}): Promise<{ task: Task; etag: string }> {
  const response = await user.call<Task>('POST', '/tasks', { json: { title: 'A task', ...fields } });
  expect(response.status).to.equal(201);
  return { task: response.body, etag: etagOf(response) };
}

/** Expects the write to be refused with `status` and to have left the user's stored rows exactly as they were. */
async function expectRefused(
  suite: ApiSuite,
  user: TestUser,
  status: 412 | 428,
  write: () => Promise<ApiResponse>,
): Promise<void> {
  const before = await storedTasks(suite, user);
  expectProblem(await write(), status);
  expect(await storedTasks(suite, user)).to.deep.equal(before);
}

describeEachDatabase('concurrency: ETag and If-None-Match', (suite) => {
  it('gives created and read tasks the same strong ETag, stable across reads and HEAD', async () => {
    const alice = suite.newUser();
    const { task, etag } = await created(alice);
    expect((await read(alice, task.id)).etag).to.equal(etag);
    expect((await read(alice, task.id)).etag).to.equal(etag);
    const head = await alice.call('HEAD', `/tasks/${task.id}`);
    expect(head.status).to.equal(200);
    expect(etagOf(head)).to.equal(etag);
  });

  it('changes the ETag on every kind of write, the response naming the new one', async () => {
    const alice = suite.newUser();
    const first = await created(alice, { title: 'A' });
    const id = first.task.id;
    const etags = [first.etag];
    // Each state differs from every earlier one in more than updated_at, so no two can share a tag.
    const writes: [string, Record<string, unknown> | undefined][] = [
      ['PUT', { title: 'B', description: null, completed: false }],
      ['PATCH', { priority: 'high' }],
      ['PATCH', { due_date: '2031-05-01' }],
      ['COMPLETE', { completed: true }],
      ['PATCH', { tags: ['x'] }],
      ['COMPLETE', undefined], // toggles it open again
    ];
    for (const [method, json] of writes) {
      const response =
        method === 'COMPLETE'
          ? await alice.call<Task>('PATCH', `/tasks/${id}/complete`, json ? { json } : {})
          : await alice.call<Task>(method, `/tasks/${id}`, { json });
      expect(response.status).to.equal(200);
      const etag = etagOf(response);
      expect(etags, `${method} ${JSON.stringify(json)}`).not.to.include(etag);
      expect((await read(alice, id)).etag).to.equal(etag);
      etags.push(etag);
    }
  });

  it('keeps the ETag when a write leaves the task as it was', async () => {
    const alice = suite.newUser();
    const { task, etag } = await created(alice, {
      title: 'Same',
      description: 'same',
      completed: true,
      priority: 'low',
    });
    const noOps = [
      await alice.call<Task>('PUT', `/tasks/${task.id}`, {
        json: { title: 'Same', description: 'same', completed: true, priority: 'low' },
      }),
      await alice.call<Task>('PATCH', `/tasks/${task.id}`, { json: {} }),
      await alice.call<Task>('PATCH', `/tasks/${task.id}`, { json: { title: ' Same ' } }),
      await alice.call<Task>('PATCH', `/tasks/${task.id}/complete`, { json: { completed: true } }),
    ];
    for (const response of noOps) {
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal(task);
      expect(etagOf(response)).to.equal(etag);
    }
  });

  it('answers 304 with the ETag and no body, on GET and HEAD, when If-None-Match names the current tag', async () => {
    const alice = suite.newUser();
    const { task, etag } = await created(alice);
    const weak = `W/${etag}`;
    for (const ifNoneMatch of [etag, weak, `"stale", ${etag}`, ` ${weak} ,"other"`, '*']) {
      for (const method of ['GET', 'HEAD']) {
        const response = await alice.call(method, `/tasks/${task.id}`, { headers: { 'If-None-Match': ifNoneMatch } });
        expect(response.status, `${method} If-None-Match: ${ifNoneMatch}`).to.equal(304);
        expect(etagOf(response)).to.equal(etag);
        expect(response.body).to.equal(undefined);
        expect(response.headers.get('content-type')).to.equal(null);
      }
    }
  });

  it('answers 200 with the task when If-None-Match names other tags, such as the tag before a change', async () => {
    const alice = suite.newUser();
    const { task, etag } = await created(alice);
    const other = await alice.call<Task>('GET', `/tasks/${task.id}`, {
      headers: { 'If-None-Match': '"other", W/"another"' },
    });
    expect(other.status).to.equal(200);
    expect(other.body).to.deep.equal(task);

    const patched = await alice.call<Task>('PATCH', `/tasks/${task.id}`, { json: { title: 'Changed' } });
    const stale = await alice.call<Task>('GET', `/tasks/${task.id}`, { headers: { 'If-None-Match': etag } });
    expect(stale.status).to.equal(200);
    expect(stale.body).to.deep.equal(patched.body);
    expect(etagOf(stale)).to.equal(etagOf(patched));
  });

  it('still answers 404 for a missing task, even with If-None-Match: *', async () => {
    const response = await suite.newUser().call('GET', '/tasks/987654321', { headers: { 'If-None-Match': '*' } });
    expectProblem(response, 404);
  });

  it('refuses a malformed If-None-Match with 400', async () => {
    const alice = suite.newUser();
    const { task } = await created(alice);
    const problem = expectProblem(
      await alice.call('GET', `/tasks/${task.id}`, { headers: { 'If-None-Match': 'unquoted' } }),
      400,
    );
    expect(problem.errors?.[0]).to.include({ location: 'header' });
  });
});

describeEachDatabase('concurrency: If-Match', (suite) => {
  for (const write of WRITES) {
    describe(write.name, () => {
      it('writes when If-Match names the current ETag, alone, in a list, or as *', async () => {
        const alice = suite.newUser();
        for (const condition of [
          (etag: string) => etag,
          (etag: string) => ` W/"weak", "stale" , ${etag} `,
          () => '*',
        ]) {
          const { task, etag } = await created(alice);
          const response = await write.send(alice, task.id, { 'If-Match': condition(etag) });
          expect(response.status, JSON.stringify(response.body)).to.equal(write.status);
          if (write.status === 200) {
            const now = etagOf(response);
            expect(now).not.to.equal(etag);
            expect((await read(alice, task.id)).etag).to.equal(now);
          } else {
            expectProblem(await alice.call('GET', `/tasks/${task.id}`), 404);
          }
        }
      });

      it('answers 412 and writes nothing when If-Match names a stale ETag', async () => {
        const alice = suite.newUser();
        const { task, etag } = await created(alice);
        // Someone else changes the task after alice read it.
        expect(
          (await alice.call('PATCH', `/tasks/${task.id}`, { json: { description: 'meanwhile' } })).status,
        ).to.equal(200);
        await expectRefused(suite, alice, 412, () => write.send(alice, task.id, { 'If-Match': etag }));
        await expectRefused(suite, alice, 412, () => write.send(alice, task.id, { 'If-Match': `"other", ${etag}` }));
      });

      it('answers 412 for the current ETag as a weak tag: If-Match compares strongly', async () => {
        const alice = suite.newUser();
        const { task, etag } = await created(alice);
        await expectRefused(suite, alice, 412, () => write.send(alice, task.id, { 'If-Match': `W/${etag}` }));
      });

      it('answers 404 for a missing task, even with If-Match: *', async () => {
        const alice = suite.newUser();
        expectProblem(await write.send(alice, 987654321, { 'If-Match': '*' }), 404);
      });

      it('refuses a malformed If-Match with 400 and writes nothing', async () => {
        const alice = suite.newUser();
        const { task, etag } = await created(alice);
        for (const malformed of [etag.slice(1, -1), `${etag},`, `*, ${etag}`, '']) {
          const before = await storedTasks(suite, alice);
          const problem = expectProblem(await write.send(alice, task.id, { 'If-Match': malformed }), 400);
          expect(
            problem.errors?.map((issue) => issue.location),
            `If-Match: ${malformed}`,
          ).to.include('header');
          expect(await storedTasks(suite, alice)).to.deep.equal(before);
        }
      });
    });
  }

  it('lets exactly one of two concurrent writes with the same If-Match win, round after round', async () => {
    const alice = suite.newUser();
    let { task, etag } = await created(alice, { title: 'start' });
    for (let round = 0; round < 15; round += 1) {
      const titles = [`left ${round}`, `right ${round}`];
      const responses = await Promise.all(
        titles.map((title) =>
          alice.call<Task>('PATCH', `/tasks/${task.id}`, { json: { title }, headers: { 'If-Match': etag } }),
        ),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses, `round ${round}`).to.deep.equal([200, 412]);
      const winner = responses.find((response) => response.status === 200)!;
      expectProblem(
        responses.find((response) => response.status === 412)!,
        412,
      );
      ({ task, etag } = await read(alice, task.id));
      expect(task.title, `round ${round}`).to.equal(winner.body.title);
      expect(etag).to.equal(etagOf(winner));
    }
  });

  it('completes an occurrence of a recurring task once with If-Match; the same tag again is stale', async () => {
    const alice = suite.newUser();
    const { task, etag } = await created(alice, {
      title: 'Water the plants',
      due_date: '2031-01-10',
      recurrence: { frequency: 'weekly' },
    });
    const done = await alice.call<Task>('PATCH', `/tasks/${task.id}/complete`, {
      json: { completed: true },
      headers: { 'If-Match': etag },
    });
    expect(done.status).to.equal(200);
    expect(done.body.next_occurrence_id).to.be.a('number');
    // The tag is that of the task as finally written, linked to its next occurrence.
    expect((await read(alice, task.id)).etag)
      .to.equal(etagOf(done))
      .and.not.equal(etag);
    const next = await read(alice, done.body.next_occurrence_id!);
    expect(next.task).to.include({ due_date: '2031-01-17', completed: false });

    await expectRefused(suite, alice, 412, () =>
      alice.call('PATCH', `/tasks/${task.id}/complete`, { json: { completed: false }, headers: { 'If-Match': etag } }),
    );
    const reopened = await alice.call<Task>('PATCH', `/tasks/${task.id}/complete`, {
      headers: { 'If-Match': etagOf(done) },
    });
    expect(reopened.status).to.equal(200);
    expect(reopened.body).to.include({ completed: false, next_occurrence_id: next.task.id });
  });

  describe('on a server that requires If-Match', () => {
    let strict: TestServer | undefined;
    before(async () => {
      strict = await startTestServer(suite.database().knex, { http: { requireIfMatch: true } });
    });
    after(async () => strict?.close());

    for (const write of WRITES) {
      it(`answers 428 to ${write.name} without If-Match and writes nothing; writes with the right one`, async () => {
        const alice = new TestUser(strict!.baseUrl);
        const { task, etag } = await created(alice);
        await expectRefused(suite, alice, 428, () => write.send(alice, task.id));
        expect((await write.send(alice, task.id, { 'If-Match': etag })).status).to.equal(write.status);
      });
    }

    it('still creates and reads without If-Match, but a bulk write without if_match is a 428 too: bulk is no way around it', async () => {
      const alice = new TestUser(strict!.baseUrl);
      const { task, etag } = await created(alice);
      expect((await alice.call('GET', `/tasks/${task.id}`)).status).to.equal(200);
      const rename = (extra: Record<string, string>) =>
        alice.call('POST', '/tasks/bulk', {
          json: { atomic: true, actions: [{ op: 'update', id: task.id, patch: { title: 'Bulk' }, ...extra }] },
        });
      await expectRefused(suite, alice, 428, () => rename({}));
      expect((await rename({ if_match: etag })).status).to.equal(200);
      expect((await read(alice, task.id)).task.title).to.equal('Bulk');
    });
  });
});
