import { expect } from 'chai';
import { generateKeyBetween } from 'fractional-indexing';
import { DATABASE_KINDS, sharedTestDatabase, type DatabaseKind } from '../helpers/databases.js';

// The key the database gives a row created or moved to the end of its group, fi_integer_key(its
// change number) (db/migrations/20261220000000_lists_subtasks_trash_changes.ts), is the
// fractional-indexing package's n-th integer key from 'a0', which makes every other key: a key the
// database made sorts, and is parsed, as the package expects, and each number's key is after
// every smaller number's.

/** `length` keys, each the package's key after the one before, from `start`. */
function chain(start: string, length: number): string[] {
  const keys = [start];
  while (keys.length < length) keys.push(generateKeyBetween(keys.at(-1), null));
  return keys;
}

/** Numbers where the key grows a digit (62, 62 + 62², ...), around them, and far beyond. */
const EDGES: readonly number[] = [
  61,
  62,
  63,
  3905,
  3906,
  3907,
  242_233,
  242_234,
  15_018_571,
  15_018_572,
  2 ** 40,
  2 ** 53 - 2,
];

const KINDS: readonly DatabaseKind[] = DATABASE_KINDS.filter((kind) => kind !== 'pgbouncer');

for (const kind of KINDS) {
  describe(`fractional keys in SQL [${kind}]`, function () {
    this.timeout(60_000);

    it("fi_integer_key(n) is the n-th key of the package's chain from 'a0', past 'az', 'b00' and 'bzz'", async () => {
      const { knex } = await sharedTestDatabase(kind);
      const expected = chain('a0', 5001);
      expect(expected).to.include.members(['az', 'b00', 'bzz', 'c000']);
      const { rows } = await knex.raw<{ rows: { key: string }[] }>(
        'select fi_integer_key(n) as key from generate_series(0, 5000) as n order by n',
      );
      expect(rows.map((row) => row.key)).to.deep.equal(expected);
    });

    it("fi_integer_key(n + 1) is the package's key after fi_integer_key(n), for large n too", async () => {
      const { knex } = await sharedTestDatabase(kind);
      const { rows } = await knex.raw<{ rows: { key: string; next: string }[] }>(
        `select fi_integer_key(n) as key, fi_integer_key(n + 1) as next
           from unnest(?::bigint[]) with ordinality as numbers (n, i) order by i`,
        [[...EDGES]],
      );
      expect(rows).to.have.length(EDGES.length);
      const mismatches = rows.filter((row) => generateKeyBetween(row.key, null) !== row.next);
      expect(mismatches).to.deep.equal([]);
    });
  });
}
