import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { adminKnex, DATABASE_KINDS, sharedTestDatabase } from '../helpers/databases.js';
import { TestUser, type Task } from '../helpers/api-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { IN_TEST_BOUND_MS, pollUntil } from '../helpers/wait.js';

// A write that deadlocks in the quota stripes (db/migrations/20261213000000_user_usage.ts) runs
// again instead of answering 503: a PUT that completes a recurring task and changes its text
// locks the task, then charges the user's stripes for the new bytes, and creates the next
// occurrence. Here another session holds every stripe of the user, so that the PUT waits for it,
// then asks for the task the PUT holds: PostgreSQL cancels the PUT's transaction (the other waits
// 30 s before it looks for a deadlock, the PUT the server's default second), which the server
// runs again once the other has let go. PostgreSQL only: PGlite's one connection never waits.

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

    /** The PUT, run while another session deadlocks with it; resolves with its response. */
    async function deadlocked(user: TestUser, task: Task, headers: Record<string, string> = {}) {
      const other = await sessions.transaction();
      try {
        await other.raw(`set local deadlock_timeout = '30s'`);
        const { rows } = await other.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid');
        const otherPid = rows[0]!.pid;
        await other.raw('select 1 from user_usage where user_id = ? for no key update', [user.id]);
        const put = user.call<Task>('PUT', `/tasks/${task.id}`, {
          headers,
          json: replacement(task),
        });
        let settled: unknown;
        put.then(
          (answer) => (settled = [answer.status, answer.body]),
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
          'the PUT to wait for the stripes',
          {
            ms: IN_TEST_BOUND_MS,
            context: () => (settled === undefined ? '' : `: the PUT answered ${JSON.stringify(settled)}`),
          },
        );
        // Waits for the task the PUT holds, until PostgreSQL cancels the PUT's transaction.
        await other.raw('select 1 from tasks where id = ? for update', [task.id]);
        await other.rollback();
        return await put;
      } finally {
        if (!other.isCompleted()) await other.rollback();
      }
    }

    /** Completes the occurrence and lengthens its title (more bytes to charge). */
    const replacement = (task: Task) => ({
      title: 'Water the plants, all of them',
      description: null,
      completed: true,
      due_date: task.due_date,
      recurrence: task.recurrence,
    });
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

    for (const keyed of [false, true]) {
      it(`a PUT that completes a recurring task succeeds, once${keyed ? ', under an Idempotency-Key' : ''}`, async () => {
        const user = new TestUser(server.baseUrl);
        const task = await user.createTask({
          title: 'Water the plants',
          due_date: '2026-03-01',
          recurrence: { frequency: 'weekly' },
        });
        const headers: Record<string, string> = keyed ? { 'Idempotency-Key': randomUUID() } : {};
        const retriesBefore = retriesLogged().length;
        const countedBefore = await retriesCounted();

        const response = await deadlocked(user, task, headers);
        expect(response.status, JSON.stringify(response.body)).to.equal(200);
        expect(response.body).to.include({ title: 'Water the plants, all of them', completed: true });
        const next = response.body.next_occurrence_id!;
        expect(next).to.be.a('number');
        expect(retriesLogged().slice(retriesBefore)).to.have.length(1);
        expect(retriesLogged().at(-1)!.transaction_retry).to.deep.equal({ state: '40P01', attempt: 2 });
        expect(await retriesCounted()).to.equal(countedBefore + 1);

        // Written once: one next occurrence, one audit line per change, the count exact.
        expect(await db('tasks').where('user_id', user.id).orderBy('id').pluck('id')).to.deep.equal([task.id, next]);
        expect(auditedFor(user)).to.deep.equal([
          `task.create ${task.id}`,
          `task.replace ${task.id}`,
          `task.create ${next}`,
        ]);
        expect(await usageOf(user)).to.deep.equal(await heldBy(user));
        if (keyed) {
          const replay = await user.call<Task>('PUT', `/tasks/${task.id}`, {
            headers,
            json: replacement(task),
          });
          expect(replay.status).to.equal(200);
          expect(replay.body).to.deep.equal(response.body);
          expect(await db('tasks').where('user_id', user.id).count<{ count: number }[]>()).to.deep.equal([
            { count: 2 },
          ]);
        }
      });
    }
  });
}
