import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';

// A request that must commit as one (an Idempotency-Key: its claim, its writes and its stored
// answer) runs in one transaction that every query of the code it calls joins, without that code
// passing a handle around: the features are given `scopedKnex(db)`, which is the open request
// transaction while there is one in the current async context, and the pool otherwise. So no
// query can slip out of the transaction (on embedded PGlite, one connection, it would deadlock),
// a service's own `db.transaction()` becomes a savepoint inside it, and nothing changes for the
// code when there is no request transaction.

interface RequestTransaction {
  /** The pool the transaction was opened on: a scoped Knex over another pool does not join it. */
  readonly base: Knex;
  readonly trx: Knex.Transaction;
  /** Effects that must happen only once the transaction has committed (audit log lines). */
  readonly afterCommit: (() => void)[];
}

const current = new AsyncLocalStorage<RequestTransaction>();

/**
 * Runs `work` in a new transaction on `base` that every `scopedKnex(base)` query made on its
 * behalf joins; commits when `work` resolves (then runs the `afterCommit` effects), rolls back
 * when it throws or the database is lost.
 */
export async function inRequestTransaction<T>(base: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const afterCommit: (() => void)[] = [];
  const result = await base.transaction((trx) => current.run({ base, trx, afterCommit }, () => work(trx)));
  for (const effect of afterCommit) effect();
  return result;
}

/** Runs `effect` once the current request transaction commits (never if it rolls back); at once outside one. */
export function afterCommit(effect: () => void): void {
  const transaction = current.getStore();
  if (transaction) transaction.afterCommit.push(effect);
  else effect();
}

/** `base` as the code running now must use it: the request transaction while one is open, the pool otherwise. */
export function scopedKnex(base: Knex): Knex {
  const target = (): Knex => {
    const transaction = current.getStore();
    return transaction?.base === base ? transaction.trx : base;
  };
  return new Proxy(base, {
    apply: (_base, thisArg, args) => Reflect.apply(target(), thisArg, args) as unknown,
    get: (_base, property) => {
      const knex = target();
      const value = Reflect.get(knex, property, knex) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(knex) : value;
    },
  });
}
