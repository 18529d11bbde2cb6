import { expect } from 'chai';
import type { Knex } from 'knex';
import { backgroundJobs } from '../../src/background.js';
import { loadConfig } from '../../src/config.js';
import { createEventSignal } from '../../src/events/event-signal.js';
import { eventHorizon } from '../../src/events/events.store.js';
import type { BackgroundJob } from '../../src/jobs/background-job.js';
import { createLogger } from '../../src/logger.js';
import { describeEachDatabase } from '../helpers/api-suite.js';
import type { Task, TestUser } from '../helpers/api-client.js';
import { TEST_SECRET } from '../helpers/tokens.js';
import type { JobQueue } from '../../src/jobs/background-job.js';

/** The history jobs send nothing: a send would be a mistake. */
const NO_SENDS: JobQueue = {
  send: () => Promise.reject(new Error('a history job sent a job')),
  insert: () => Promise.reject(new Error('a history job inserted a job')),
  wake: () => undefined,
};

// Issue 17: the trash's purge and the history's pruning as the job engine runs them (the
// `trash-purge` and `change-history-prune` jobs of src/background.ts, with the default 30 days).
// "Old" is made by moving timestamps back in SQL, not by waiting. The purge's batches and the
// feed's 410 behind a pruned history are shown beside the operations (test/api/trash.test.ts,
// test/api/changes.test.ts); here, what each job's run() does, and that it says so in the log.

const DAYS_AGO = (knex: Knex, days: number) => knex.raw('now() - make_interval(secs => ?)', [days * 86_400]);

describeEachDatabase('the history jobs', (suite) => {
  const knex = () => suite.database().knex;
  const lines: Record<string, unknown>[] = [];
  beforeEach(() => (lines.length = 0));

  /** The service's jobs by name, as src/background.ts lists them, over this suite's database. */
  function job(name: string): BackgroundJob {
    const logger = createLogger(
      { logLevel: 'info', logFormat: 'json' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const jobs = backgroundJobs({
      config: loadConfig({ BETTER_AUTH_SECRET: TEST_SECRET }),
      db: knex(),
      kind: suite.kind === 'pglite' ? 'pglite' : 'postgres',
      logger,
      signal: createEventSignal(undefined, logger),
    });
    return jobs.find((each) => each.name === name)!;
  }

  const logged = (pattern: RegExp) => lines.filter((line) => pattern.test(String(line.msg)));
  const taskIds = async (user: TestUser) =>
    (await knex()('tasks').where('user_id', user.id).orderBy('id').select<{ id: number }[]>('id')).map((row) => row.id);
  const trash = async (user: TestUser, task: Task) =>
    expect((await user.call('DELETE', `/tasks/${task.id}`)).status).to.equal(204);

  it('trash-purge deletes for good what has been in the trash past the retention, subtasks too, and nothing else', async () => {
    const alice = suite.newUser();
    const expired = await alice.createTask({ title: 'Expired' });
    const under = await alice.createTask({ title: 'Under', parent_id: expired.id });
    const recent = await alice.createTask({ title: 'Recent' });
    const live = await alice.createTask({ title: 'Live' });
    await trash(alice, expired);
    await trash(alice, recent);
    await knex()('tasks')
      .where({ user_id: alice.id, trash_root: expired.id })
      .update({ deleted_at: DAYS_AGO(knex(), 31) });
    await knex()('tasks')
      .where({ user_id: alice.id, id: recent.id })
      .update({ deleted_at: DAYS_AGO(knex(), 29) });

    await job('trash-purge').run([], NO_SENDS);

    expect(await taskIds(alice)).to.deep.equal([recent.id, live.id]);
    const deleted = await knex()('events')
      .where({ user_id: alice.id, type: 'task.deleted' })
      .select<{ id: number }[]>(knex().raw("(data->>'id')::bigint as id"));
    expect(deleted.map((row) => Number(row.id)).sort()).to.deep.equal([expired.id, under.id].sort());
    const [line] = logged(/^purged \d+ tasks from the trash after 30 days$/);
    expect(line?.purged).to.be.at.least(2);
  });

  it('change-history-prune prunes the old deletions of the feed, raising its horizon, and the old events, keeping the rest', async () => {
    const alice = suite.newUser();
    const [old, recent] = [await alice.createTask({ title: 'Old' }), await alice.createTask({ title: 'Recent' })];
    for (const task of [old, recent]) {
      await trash(alice, task);
      expect((await alice.call('DELETE', `/api/${encodeURIComponent(alice.id)}/trash/${task.id}`)).status).to.equal(
        204,
      );
    }
    const tombstones = () =>
      knex()('change_tombstones')
        .where('user_id', alice.id)
        .orderBy('seq')
        .select<{ seq: number; entity_id: number }[]>();
    const [oldTombstone, recentTombstone] = await tombstones();
    expect([oldTombstone?.entity_id, recentTombstone?.entity_id].map(Number)).to.deep.equal([old.id, recent.id]);
    await knex()('change_tombstones')
      .where({ user_id: alice.id, seq: oldTombstone!.seq })
      .update({ deleted_at: DAYS_AGO(knex(), 31) });
    // The events up to the old task's deletion are old; those after it, recent.
    await knex()('events')
      .where('user_id', alice.id)
      .where('seq', '<=', oldTombstone!.seq)
      .update({ created_at: DAYS_AGO(knex(), 31) });
    const kept = await knex()('events')
      .where('user_id', alice.id)
      .where('seq', '>', oldTombstone!.seq)
      .orderBy('seq')
      .select<{ seq: number }[]>('*');
    expect(kept.length).to.be.at.least(2);

    await job('change-history-prune').run([], NO_SENDS);

    expect(await tombstones()).to.deep.equal([recentTombstone]);
    expect(await knex()('change_horizons').where('user_id', alice.id).select('horizon')).to.deep.equal([
      { horizon: Number(oldTombstone!.seq) },
    ]);
    expect(await knex()('events').where('user_id', alice.id).orderBy('seq')).to.deep.equal(kept);
    expect(await eventHorizon(knex(), alice.id), 'the greatest event pruned').to.equal(Number(oldTombstone!.seq));
    expect(logged(/^pruned \d+ deletions from the changes feed after 30 days$/)).to.have.length.at.least(1);
    expect(logged(/^pruned \d+ events after 30 days$/)).to.have.length.at.least(1);
  });

  it('change-history-prune prunes more old events than one batch holds in one run', async () => {
    const alice = suite.newUser();
    await alice.createTask({ title: 'Made the user' });
    const { rows: inserted } = await knex().raw<{ rows: { seq: number }[] }>(
      `insert into events (user_id, seq, type, data, created_at)
       select ?, nextval('change_numbers'), 'task.updated', '{}', now() - interval '31 days'
         from generate_series(1, 2500)
       returning seq`,
      [alice.id],
    );
    await job('change-history-prune').run([], NO_SENDS);
    const old = inserted.map((row) => Number(row.seq));
    expect(await knex()('events').where('user_id', alice.id).whereIn('seq', old)).to.deep.equal([]);
    expect(await knex()('events').where('user_id', alice.id).whereNotIn('seq', old)).to.have.length(2);
    expect(await eventHorizon(knex(), alice.id)).to.equal(Math.max(...old));
    const [line] = logged(/^pruned \d+ events after 30 days$/);
    expect(line?.pruned).to.be.at.least(2500);
  });
});
