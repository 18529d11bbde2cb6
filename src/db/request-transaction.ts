import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import { DEFAULT_TRANSACTION_RETRIES, retryingConflicts, type TransactionRetries } from './transaction-retry.js';

// A request that must commit as one (an Idempotency-Key: its claim, its writes and its stored
// answer) runs in one transaction that every query of the code it calls joins, without that code
// passing a handle around: the features are given `scopedKnex(db)`, which is the open request
// transaction while there is one in the current async context, and the pool otherwise. So no
// query can slip out of the transaction (on embedded PGlite, one connection, it would deadlock),
// a service's own `db.transaction()` becomes a savepoint inside it, and nothing changes for the
// code when there is no request transaction; outside one, a service's own transaction is one.
//
// This is also where a transaction is run again when the server rolled it back for a deadlock or a
// serialization failure (transaction-retry.ts): only a whole transaction can be (a savepoint
// retried would still hold what its transaction took before it, which the other one waits for),
// and only this one knows that a failed attempt left nothing behind: its writes rolled back, its
// effects (audit lines) kept for after the commit, and nothing sent yet (the answer is sent once
// the work has returned).

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
 * when it throws or the database is lost. Rolled back for a deadlock or a serialization failure,
 * it runs `work` again in a new transaction, as `retries` allows: `work` must have no effect
 * outside the transaction but through `afterCommit`, whose effects of a rolled-back attempt are dropped.
 */
export function inRequestTransaction<T>(
  base: Knex,
  work: (trx: Knex.Transaction) => Promise<T>,
  retries: TransactionRetries = DEFAULT_TRANSACTION_RETRIES,
): Promise<T> {
  return retryingConflicts(retries, async () => {
    const afterCommit: (() => void)[] = [];
    const result = await base.transaction((trx) => current.run({ base, trx, afterCommit }, () => work(trx)));
    for (const effect of afterCommit) effect();
    return result;
  });
}

/** Runs `effect` once the current request transaction commits (never if it rolls back); at once outside one. */
export function afterCommit(effect: () => void): void {
  const transaction = current.getStore();
  if (transaction) transaction.afterCommit.push(effect);
  else effect();
}

/**
 * `base` as the code running now must use it: the request transaction while one is open, the pool
 * otherwise. Its `transaction(work)` (a service's own) is a savepoint inside one; outside any, it
 * opens one, run again as `retries` allows (the other forms of `transaction()` are the pool's).
 */
export function scopedKnex(base: Knex, retries: TransactionRetries = DEFAULT_TRANSACTION_RETRIES): Knex {
  const openTransaction = (scope: unknown, config: unknown): unknown =>
    typeof scope === 'function' && config === undefined
      ? inRequestTransaction(base, scope as (trx: Knex.Transaction) => Promise<unknown>, retries)
      : base.transaction(scope as null, config as Knex.TransactionConfig);
  const target = (): Knex => {
    const transaction = current.getStore();
    return transaction?.base === base ? transaction.trx : base;
  };
  return new Proxy(base, {
    apply: (_base, thisArg, args) => Reflect.apply(target(), thisArg, args) as unknown,
    get: (_base, property) => {
      const knex = target();
      if (property === 'transaction' && current.getStore() === undefined) return openTransaction;
      const value = Reflect.get(knex, property, knex) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(knex) : value;
    },
  });
}
