import { expect } from 'chai';
import type { Knex } from 'knex';
import { startBackground } from '../../src/background.js';
import { loadConfig } from '../../src/config.js';
import { openPostgresPool } from '../../src/db/database.js';
import { createEventSignal } from '../../src/events/event-signal.js';
import type { JobEngine } from '../../src/jobs/job-engine.js';
import { createLogger } from '../../src/logger.js';
import { request, type Task } from '../helpers/api-client.js';
import { createEmptyPostgresDatabase, DATABASE_KINDS } from '../helpers/databases.js';
import {
  cleanUpProcesses,
  runScript,
  startServer,
  startServerUntil,
  type ServerProcess,
  type StartingServer,
} from '../helpers/server-process.js';
import { TEST_SECRET, tokenFor } from '../helpers/tokens.js';
import { PROCESS_TEST_TIMEOUT_MS } from '../helpers/wait.js';

// `make worker` (src/worker.ts): a process that runs the background jobs and serves no HTTP, beside
// API processes started with RUN_JOBS=false, which only send them. It needs PostgreSQL: the
// embedded database serves one process, which runs its jobs itself.

const WORKER_SCRIPT = 'src/worker.ts';

describe('make worker (src/worker.ts)', function () {
  this.timeout(PROCESS_TEST_TIMEOUT_MS);
  afterEach(cleanUpProcesses);

  it('refuses to start without DATABASE_URL: one line saying why, exit code 1', async () => {
    const result = await runScript(WORKER_SCRIPT);
    expect({ code: result.code, signal: result.signal, stderr: result.stderr }).to.deep.equal({
      code: 1,
      signal: null,
      stderr:
        'Configuration error: make worker needs DATABASE_URL: the embedded database serves one process, which runs the jobs itself\n',
    });
  });

  describe('on PostgreSQL', () => {
    let database: { url: string; drop: () => Promise<void> } | undefined;
    let sender: { knex: Knex; engine: JobEngine } | undefined;
    before(async function () {
      if (!DATABASE_KINDS.includes('postgres')) return this.skip();
      database = await createEmptyPostgresDatabase('todo_worker');
    });
    after(async () => {
      await sender?.engine.stop();
      await sender?.knex.destroy();
      await database?.drop();
    });

    it('runs the jobs that an API process started with RUN_JOBS=false sends, and stops cleanly on SIGTERM', async () => {
      const env = { DATABASE_URL: database!.url };
      const api: ServerProcess = await startServer({ env: { ...env, RUN_JOBS: 'false' } });
      const worker: StartingServer = await startServerUntil('worker running the background jobs', {
        script: WORKER_SCRIPT,
        env,
      });
      expect(worker.logs().find((line) => line.msg === 'worker running the background jobs')).to.include({
        database: 'postgres',
      });

      // A task in the trash past its retention: the next trash purge deletes it for good.
      const token = await tokenFor('alice');
      const created = await request<Task>(api.baseUrl, 'POST', '/api/alice/tasks', { token, json: { title: 'Old' } });
      expect(created.status).to.equal(201);
      expect((await request(api.baseUrl, 'DELETE', `/api/alice/tasks/${created.body.id}`, { token })).status).to.equal(
        204,
      );
      const knex = (await openPostgresPool(database!.url, 2)).knex;
      const logger = createLogger({ logLevel: 'silent', logFormat: 'json' });
      // Sent as an API process sends (RUN_JOBS=false: its engine sends, runs nothing).
      sender = {
        knex,
        engine: await startBackground({
          config: {
            ...loadConfig({ BETTER_AUTH_SECRET: TEST_SECRET }),
            background: {
              runJobs: false,
              listenUrl: undefined,
              remindersPollMs: 1000,
              superviseSeconds: 60,
              heartbeatSeconds: 30,
            },
          },
          db: knex,
          kind: 'postgres',
          logger,
          signal: createEventSignal(undefined, logger),
        }),
      };
      await knex('tasks')
        .where({ id: created.body.id })
        .update({ deleted_at: knex.raw("now() - interval '31 days'") });
      await sender.engine.send('trash-purge', {});

      await worker.waitForLog('purged 1 tasks from the trash after 30 days');
      const trash = await request<{ items: unknown[] }>(api.baseUrl, 'GET', '/api/alice/trash', { token });
      expect(trash.body.items).to.deep.equal([]);
      expect(api.logs().filter((line) => String(line.msg).startsWith('purged'))).to.deep.equal([]);

      worker.signal('SIGTERM');
      expect(await worker.waitForExit()).to.deep.equal({ code: 0, signal: null });
      expect(worker.logs().map((line) => line.msg)).to.include('worker stopping');
      expect(worker.output.stderr).to.equal('');
      api.signal('SIGTERM');
      expect(await api.waitForExit()).to.deep.equal({ code: 0, signal: null });
    });
  });
});
