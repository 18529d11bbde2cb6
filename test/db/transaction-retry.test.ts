import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { isDatabaseUnavailable } from '../../src/db/availability.js';
import { afterCommit, inRequestTransaction } from '../../src/db/request-transaction.js';
import type { TransactionRetries } from '../../src/db/transaction-retry.js';
import { adminKnex, DATABASE_KINDS, sharedTestDatabase } from '../helpers/databases.js';
import { pollUntil } from '../helpers/wait.js';

// A request transaction that the server rolls back for a deadlock runs again, whole, and the
// request succeeds instead of answering 503. The deadlocks are real and set step by step: a
// session waits first with a long deadlock_timeout, and the request transaction closes the cycle
// with a short one, so that the request transaction is the one PostgreSQL cancels, every time.
// PostgreSQL only (directly and through the pooler): PGlite is one connection, whose transactions
// never wait for each other.

/** What the deadlock detector waits before it looks: long for the side that must survive. */
const SURVIVOR_DEADLOCK_TIMEOUT = '30s';
const VICTIM_DEADLOCK_TIMEOUT = '100ms';

for (const kind of DATABASE_KINDS.filter((each) => each !== 'pglite')) {
  describe(`request transactions rolled back for a deadlock [${kind}]`, function () {
    this.timeout(60_000);
    let base: Knex;
    let monitor: Knex;
    before(async () => {
      const database = await sharedTestDatabase(kind);
      base = database.knex;
      monitor = adminKnex(database.directUrl!, 4);
      await monitor.raw('create table if not exists retry_probe (id text primary key, writes integer not null)');
    });
    after(async () => monitor?.destroy());

    /** Two rows, each written once per committed request transaction. */
    const newRows = async () => {
      const rows = [`a-${randomUUID()}`, `b-${randomUUID()}`] as const;
      await monitor('retry_probe').insert(rows.map((id) => ({ id, writes: 0 })));
      return rows;
    };
    const writesOf = async (ids: readonly string[]) =>
      (await monitor('retry_probe').whereIn('id', ids).orderBy('id').pluck('writes')) as number[];
    const write = (trx: Knex.Transaction, id: string) =>
      trx.raw('update retry_probe set writes = writes + 1 where id = ?', [id]);
    const pidOf = async (trx: Knex.Transaction) =>
      (await trx.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const deadlockTimeout = (trx: Knex.Transaction, value: string) =>
      trx.raw(`set local deadlock_timeout = '${value}'`);

    /** Until the session `pid` waits for a lock that the session `holder` holds. */
    const waitingFor = (pid: number, holder: number) =>
      pollUntil(async () => {
        const { rows } = await monitor.raw<{ rows: { blocked: boolean }[] }>(
          'select ? = any(pg_blocking_pids(?)) as blocked',
          [holder, pid],
        );
        return rows[0]!.blocked;
      }, `session ${pid} to wait for session ${holder}`);

    /** Retries as the server counts them, with the SQLSTATE and attempt of each. */
    const counting = (): TransactionRetries & { seen: { state: string; attempt: number }[] } => {
      const seen: { state: string; attempt: number }[] = [];
      return { attempts: 3, onRetry: (retry) => seen.push(retry), seen };
    };

    it('two request transactions writing two rows in opposite orders both commit, each write once', async () => {
      const [a, b] = await newRows();
      const retries = counting();
      const effects: string[] = [];
      let firstAttempts = 0;
      let secondAttempts = 0;
      let secondLockedB!: () => void;
      const bLocked = new Promise<void>((resolve) => (secondLockedB = resolve));
      let secondPid: Promise<number> | undefined;
      let firstPid = 0;

      // The first writes a, then b; the second b, then a. The second waits for a first (and
      // would wait 30 s before looking for a deadlock); the first then waits for b, closing the
      // cycle, and is cancelled 100 ms later: it runs again once the second has committed.
      const first = inRequestTransaction(
        base,
        async (trx) => {
          firstAttempts++;
          await deadlockTimeout(trx, VICTIM_DEADLOCK_TIMEOUT);
          firstPid = await pidOf(trx);
          await write(trx, a);
          if (firstAttempts === 1) {
            await bLocked;
            await waitingFor(await secondPid!, firstPid);
          }
          await write(trx, b);
          afterCommit(() => effects.push('first'));
        },
        retries,
      );
      await pollUntil(() => firstPid !== 0, 'the first transaction to write a');
      const second = inRequestTransaction(base, async (trx) => {
        secondAttempts++;
        await deadlockTimeout(trx, SURVIVOR_DEADLOCK_TIMEOUT);
        secondPid = pidOf(trx);
        await secondPid;
        await write(trx, b);
        secondLockedB();
        await write(trx, a);
        afterCommit(() => effects.push('second'));
      });

      await Promise.all([first, second]);
      expect(await writesOf([a, b])).to.deep.equal([2, 2]);
      expect({ firstAttempts, secondAttempts }).to.deep.equal({ firstAttempts: 2, secondAttempts: 1 });
      expect(retries.seen).to.deep.equal([{ state: '40P01', attempt: 2 }]);
      // The rolled-back attempt's effects were dropped: one per committed transaction.
      expect(effects.sort()).to.deep.equal(['first', 'second']);
    });

    it('a transaction that deadlocks at every attempt fails as it did, unavailable (a 503), after the last attempt', async () => {
      const [a, b] = await newRows();
      const retries = counting();
      const effects: string[] = [];
      const survivors: Promise<unknown>[] = [];
      let attempts = 0;

      // At each attempt a session of its own holds b, waits for a (which this attempt wrote) and
      // then, with the deadlock broken, rolls back: every attempt meets a deadlock of its own.
      const error = await inRequestTransaction(
        base,
        async (trx) => {
          attempts++;
          await deadlockTimeout(trx, VICTIM_DEADLOCK_TIMEOUT);
          const pid = await pidOf(trx);
          const other = await monitor.transaction();
          await deadlockTimeout(other, SURVIVOR_DEADLOCK_TIMEOUT);
          const otherPid = await pidOf(other);
          await write(other, b);
          await write(trx, a);
          survivors.push(
            (async () => {
              try {
                await write(other, a);
              } finally {
                await other.rollback();
              }
            })(),
          );
          await waitingFor(otherPid, pid);
          await write(trx, b);
          afterCommit(() => effects.push('committed'));
        },
        retries,
      ).catch((caught: unknown) => caught);

      await Promise.all(survivors);
      expect((error as { code?: string }).code).to.equal('40P01');
      expect(isDatabaseUnavailable(error), 'answered 503').to.equal(true);
      expect(attempts).to.equal(3);
      expect(retries.seen).to.deep.equal([
        { state: '40P01', attempt: 2 },
        { state: '40P01', attempt: 3 },
      ]);
      expect(effects).to.deep.equal([]);
      expect(await writesOf([a, b])).to.deep.equal([0, 0]);
    });
  });
}

for (const kind of DATABASE_KINDS) {
  describe(`request transactions that fail otherwise [${kind}]`, () => {
    it('are not run again', async function () {
      this.timeout(60_000);
      const { knex } = await sharedTestDatabase(kind);
      let attempts = 0;
      const retried: unknown[] = [];
      const error = await inRequestTransaction(
        knex,
        async (trx) => {
          attempts++;
          await trx.raw('select 1 / 0');
        },
        { attempts: 3, onRetry: (retry) => retried.push(retry) },
      ).catch((caught: unknown) => caught);
      expect((error as { code?: string }).code).to.equal('22012'); // division_by_zero: a bug, not a conflict
      expect({ attempts, retried }).to.deep.equal({ attempts: 1, retried: [] });
    });
  });
}
