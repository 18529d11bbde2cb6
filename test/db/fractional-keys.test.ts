import { expect } from 'chai';
import { generateKeyBetween } from 'fractional-indexing';
import { DATABASE_KINDS, sharedTestDatabase, type DatabaseKind } from '../helpers/databases.js';

// The keys the database makes for a new task or list (fi_key_after: after its group's last) and
// for the existing rows the migration placed (fi_integer_key: the n-th key from 'a0') are the
// fractional-indexing package's, which makes every other key: a key the database made sorts, and
// is parsed, as the package expects (db/migrations/20261220000000_lists_subtasks_trash_changes.ts).

/** `length` keys, each the package's key after the one before, from `start`. */
function chain(start: string, length: number): string[] {
  const keys = [start];
  while (keys.length < length) keys.push(generateKeyBetween(keys.at(-1), null));
  return keys;
}

// Past 'az' to 'b00', past 'bzz' to 'c000'; negative heads up to 'a0'; keys with fractions.
const STARTS: readonly string[] = ['a0', 'Xzzx', 'Yzx', 'Zx', 'a0V', 'azzV4', 'bzy1', 'Y00', 'a1' + 'x'.repeat(10)];

const KINDS: readonly DatabaseKind[] = DATABASE_KINDS.filter((kind) => kind !== 'pgbouncer');

for (const kind of KINDS) {
  describe(`fractional keys in SQL [${kind}]`, function () {
    this.timeout(60_000);

    it("fi_key_after(k) is the package's generateKeyBetween(k, null)", async () => {
      const { knex } = await sharedTestDatabase(kind);
      const keys = [...new Set(STARTS.flatMap((start) => chain(start, start === 'a0' ? 4000 : 200)))];
      expect(keys).to.include.members(['az', 'b00', 'bzz', 'c000', 'Zz', 'a0']);
      const { rows } = await knex.raw<{ rows: { key: string; after: string }[] }>(
        'select key, fi_key_after(key) as after from unnest(?::text[]) with ordinality as keys (key, n) order by n',
        [keys],
      );
      expect(rows.map((row) => row.key)).to.deep.equal(keys);
      const mismatches = rows.filter((row) => row.after !== generateKeyBetween(row.key, null));
      expect(mismatches).to.deep.equal([]);
      const first = await knex.raw<{ rows: { after: string }[] }>('select fi_key_after(null) as after');
      expect(first.rows[0]!.after).to.equal(generateKeyBetween(null, null));
    });

    it("fi_integer_key(n) is the n-th key of the package's chain from 'a0'", async () => {
      const { knex } = await sharedTestDatabase(kind);
      const expected = chain('a0', 5001);
      const { rows } = await knex.raw<{ rows: { key: string }[] }>(
        'select fi_integer_key(n) as key from generate_series(0, 5000) as n order by n',
      );
      expect(rows.map((row) => row.key)).to.deep.equal(expected);
    });
  });
}
