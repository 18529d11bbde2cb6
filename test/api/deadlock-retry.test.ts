import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { adminKnex, DATABASE_KINDS, sharedTestDatabase } from '../helpers/databases.js';
import { TestUser, type ApiResponse, type Task } from '../helpers/api-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { IN_TEST_BOUND_MS, pollUntil } from '../helpers/wait.js';

// A write that deadlocks in the quota stripes (db/migrations/20261213000000_user_usage.ts) runs
// again instead of answering 503. A write that completes a recurring task and changes its text
// (a PUT, an atomic bulk request) locks the task, then charges the user's stripes for the new
// bytes, then creates the next occurrence. Here another session holds every stripe of the user,
// so that the write waits for it, then asks for the task the write holds: PostgreSQL cancels the
// write's transaction (the other session waits 30 s before it looks for a deadlock, the write the
// server's default second, by which time the other has long closed the cycle), and the server
// runs it again once the other has let go. PostgreSQL only: PGlite's one connection never waits.

/** The completion, with a longer title (more bytes to charge). */
const completion = (task: Task) => ({
  title: 'Water the plants, all of them',
  description: null,
  completed: true,
  due_date: task.due_date,
  recurrence: task.recurrence,
});

interface Write {
  readonly name: string;
  /** The action its audit line names for the task. */
  readonly audited: string;
  /** Sends it; the task as it answers it. */
  send(user: TestUser, task: Task, headers: Record<string, string>): Promise<{ response: ApiResponse; done?: Task }>;
}

const WRITES: readonly Write[] = [
  {
    name: 'a PUT',
    audited: 'task.replace',
    async send(user, task, headers) {
      const response = await user.call<Task>('PUT', `/tasks/${task.id}`, { headers, json: completion(task) });
      return { response, done: response.status === 200 ? response.body : undefined };
    },
  },
  {
    name: 'an atomic bulk request',
    audited: 'task.update',
    async send(user, task, headers) {
      const { title, completed } = completion(task);
      const response = await user.call<{ results: { task?: Task }[] }>('POST', '/tasks/bulk', {
        headers,
        json: { atomic: true, actions: [{ op: 'update', id: task.id, patch: { title, completed } }] },
      });
      return { response, done: response.status === 200 ? response.body.results[0]?.task : undefined };
    },
  },
];

for (const kind of DATABASE_KINDS.filter((each) => each !== 'pglite')) {
  describe(`a write rolled back for a deadlock runs again [${kind}]`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let db: Knex;
    let sessions: Knex;
    before(async () => {
      const database = await sharedTestDatabase(kind);
      db = database.knex;
      sessions = adminKnex(database.directUrl!, 3);
      server = await startTestServer(db);
    });
    after(async () => {
      await server?.close();
      await sessions?.destroy();
    });

    /** The write, run while another session deadlocks with it. */
    async function deadlocked(send: () => ReturnType<Write['send']>, user: TestUser, task: Task) {
      const other = await sessions.transaction();
      try {
        await other.raw(`set local deadlock_timeout = '30s'`);
        const { rows } = await other.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid');
        const otherPid = rows[0]!.pid;
        await other.raw('select 1 from user_usage where user_id = ? for no key update', [user.id]);
        const write = send();
        let settled: unknown;
        write.then(
          ({ response }) => (settled = [response.status, response.body as unknown]),
          (error: unknown) => (settled = String(error)),
        );
        await pollUntil(
          async () => {
            const blocked = await sessions.raw<{ rows: unknown[] }>(
              'select 1 from pg_stat_activity where ? = any(pg_blocking_pids(pid))',
              [otherPid],
            );
            return blocked.rows.length > 0;
          },
          'the write to wait for the stripes',
          {
            ms: IN_TEST_BOUND_MS,
            context: () => (settled === undefined ? '' : `: it answered ${JSON.stringify(settled)}`),
          },
        );
        // Waits for the task the write holds, until PostgreSQL cancels the write's transaction.
        await other.raw('select 1 from tasks where id = ? for update', [task.id]);
        await other.rollback();
        return await write;
      } finally {
        if (!other.isCompleted()) await other.rollback();
      }
    }

    /** What /metrics counts of deadlock retries. */
    const retriesCounted = async () => {
      const metrics = await fetch(new URL('/metrics', server.baseUrl));
      expect(metrics.status).to.equal(200);
      const counted = /^db_transaction_retries_total\{state="40P01"\} (\d+)$/m.exec(await metrics.text());
      return Number(counted?.[1] ?? 0);
    };
    const retriesLogged = () => server.logs.filter((line) => line.transaction_retry !== undefined);
    const auditedFor = (user: TestUser) =>
      server.logs.flatMap((line) => {
        const audit = line.audit as { action: string; user_id: string; task_id: number } | undefined;
        return audit?.user_id === user.id ? [`${audit.action} ${audit.task_id}`] : [];
      });
    type Holdings = { tasks: number; bytes: number } | undefined;
    const usageOf = async (user: TestUser): Promise<Holdings> =>
      db('user_usage')
        .where('user_id', user.id)
        .first(db.raw('sum(tasks)::int as tasks'), db.raw('sum(stored_bytes)::int as bytes'));
    const heldBy = async (user: TestUser): Promise<Holdings> =>
      db('tasks')
        .where('user_id', user.id)
        .first(db.raw('count(*)::int as tasks'), db.raw('sum(stored_bytes)::int as bytes'));

    for (const write of WRITES)
      for (const keyed of [false, true]) {
        it(`${write.name} that completes a recurring task succeeds, once${keyed ? ', under an Idempotency-Key' : ''}`, async () => {
          const user = new TestUser(server.baseUrl);
          const task = await user.createTask({
            title: 'Water the plants',
            due_date: '2026-03-01',
            recurrence: { frequency: 'weekly' },
          });
          const headers: Record<string, string> = keyed ? { 'Idempotency-Key': randomUUID() } : {};
          const retriesBefore = retriesLogged().length;
          const countedBefore = await retriesCounted();

          const { response, done } = await deadlocked(() => write.send(user, task, headers), user, task);
          expect(response.status, JSON.stringify(response.body)).to.equal(200);
          expect(done).to.include({ title: 'Water the plants, all of them', completed: true });
          const next = done!.next_occurrence_id!;
          expect(next).to.be.a('number');
          expect(retriesLogged().slice(retriesBefore)).to.have.length(1);
          expect(retriesLogged().at(-1)!.transaction_retry).to.deep.equal({ state: '40P01', attempt: 2 });
          expect(await retriesCounted()).to.equal(countedBefore + 1);

          // Written once: one next occurrence, one audit line per change, the count exact.
          expect(await db('tasks').where('user_id', user.id).orderBy('id').pluck('id')).to.deep.equal([task.id, next]);
          expect(auditedFor(user)).to.deep.equal([
            `task.create ${task.id}`,
            `${write.audited} ${task.id}`,
            `task.create ${next}`,
          ]);
          expect(await usageOf(user)).to.deep.equal(await heldBy(user));
          if (keyed) {
            const replay = await write.send(user, task, headers);
            expect(replay.response.status).to.equal(200);
            expect(replay.response.body).to.deep.equal(response.body);
            expect(await db('tasks').where('user_id', user.id).pluck('id')).to.have.length(2);
          }
        });
      }
  });
}
