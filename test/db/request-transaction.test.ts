import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { postgresKnex } from '../../src/db/database.js';
import { afterCommit, inRequestTransaction, scopedKnex } from '../../src/db/request-transaction.js';
import { DATABASE_KINDS, sharedTestDatabase } from '../helpers/databases.js';

// The request transaction: the code a keyed request runs joins it through scopedKnex, without
// being handed it. On PGlite (one connection) a query that escaped it would wait for the
// transaction's own connection: these tests would time out rather than pass.

for (const kind of DATABASE_KINDS) {
  describe(`the request transaction [${kind}]`, () => {
    let base: Knex;
    let scoped: Knex;
    before(async function () {
      this.timeout(60_000);
      base = (await sharedTestDatabase(kind)).knex;
      scoped = scopedKnex(base);
    });

    const newId = () => `request-transaction-${randomUUID()}`;
    const exists = async (id: string) => (await base('users').where({ id }).first('id')) !== undefined;
    /** Inserts the user through the scoped Knex, in both of its forms: a query builder and raw SQL. */
    const insertBoth = async (builderId: string, rawId: string) => {
      await scoped('users').insert({ id: builderId });
      await scoped.raw('insert into users (id) values (?)', [rawId]);
    };

    it('outside one, the scoped Knex is the pool: each write commits on its own', async () => {
      const [one, two] = [newId(), newId()];
      await insertBoth(one, two);
      expect([await exists(one), await exists(two)]).to.deep.equal([true, true]);
    });

    it('inside one, every query joins it: all committed together when the work resolves', async () => {
      const [one, two] = [newId(), newId()];
      const seen = await inRequestTransaction(base, async (trx) => {
        await insertBoth(one, two);
        // Uncommitted, and visible in the request's own transaction.
        return (await trx('users').whereIn('id', [one, two]).pluck('id')) as string[];
      });
      expect(seen.sort()).to.deep.equal([one, two].sort());
      expect([await exists(one), await exists(two)]).to.deep.equal([true, true]);
    });

    it('inside one, every query joins it: all rolled back when the work throws', async () => {
      const [one, two] = [newId(), newId()];
      const failure = new Error('the handler failed');
      const error = await inRequestTransaction(base, async () => {
        await insertBoth(one, two);
        throw failure;
      }).catch((caught: unknown) => caught);
      expect(error).to.equal(failure);
      expect([await exists(one), await exists(two)]).to.deep.equal([false, false]);
    });

    it("a service's own transaction is a savepoint: rolled back alone, the request's other writes kept", async () => {
      const [kept, undone, nested] = [newId(), newId(), newId()];
      await inRequestTransaction(base, async () => {
        await scoped('users').insert({ id: kept });
        await scoped
          .transaction(async (trx) => {
            await trx('users').insert({ id: undone });
            throw new Error('one action failed');
          })
          .catch(() => undefined);
        await scoped.transaction((trx) => trx('users').insert({ id: nested }));
      });
      expect([await exists(kept), await exists(undone), await exists(nested)]).to.deep.equal([true, false, true]);
    });

    it("outside one, a service's own transaction is one: the scoped Knex joins it, effects wait for its commit", async () => {
      const [one, two] = [newId(), newId()];
      const effects: string[] = [];
      await scoped.transaction(async (trx) => {
        await insertBoth(one, two);
        afterCommit(() => effects.push('committed'));
        expect(effects, 'not before the commit').to.deep.equal([]);
        expect(((await trx('users').whereIn('id', [one, two]).pluck('id')) as string[]).sort()).to.deep.equal(
          [one, two].sort(),
        );
      });
      expect(effects).to.deep.equal(['committed']);
      expect([await exists(one), await exists(two)]).to.deep.equal([true, true]);
    });

    it('effects after commit: at once outside a transaction, after the commit inside one, never after a rollback', async () => {
      const effects: string[] = [];
      afterCommit(() => effects.push('outside'));
      expect(effects).to.deep.equal(['outside']);

      await inRequestTransaction(base, async () => {
        afterCommit(() => effects.push('committed'));
        expect(effects, 'not before the commit').to.deep.equal(['outside']);
      });
      expect(effects).to.deep.equal(['outside', 'committed']);

      await inRequestTransaction(base, async () => {
        afterCommit(() => effects.push('rolled back'));
        throw new Error('failed');
      }).catch(() => undefined);
      expect(effects).to.deep.equal(['outside', 'committed']);
    });

    it('a scoped Knex over another pool does not join it', async function () {
      const { directUrl } = await sharedTestDatabase(kind);
      if (directUrl === undefined) this.skip(); // PGlite: one connection, one pool
      const other = postgresKnex(directUrl, 1);
      try {
        const [inside, beside] = [newId(), newId()];
        await inRequestTransaction(base, async () => {
          await scoped('users').insert({ id: inside });
          await scopedKnex(other)('users').insert({ id: beside });
          throw new Error('rolled back');
        }).catch(() => undefined);
        expect([await exists(inside), await exists(beside)]).to.deep.equal([false, true]);
      } finally {
        await other.destroy();
      }
    });

    it('concurrent requests each have their own transaction', async () => {
      const ids = [newId(), newId(), newId()];
      const outcomes = await Promise.allSettled(
        ids.map((id, index) =>
          inRequestTransaction(base, async () => {
            await scoped('users').insert({ id });
            if (index === 1) throw new Error('this one fails');
          }),
        ),
      );
      expect(outcomes.map((outcome) => outcome.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      expect(await Promise.all(ids.map(exists))).to.deep.equal([true, false, true]);
    });
  });
}
