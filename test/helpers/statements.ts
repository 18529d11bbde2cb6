import type { Knex } from 'knex';

/** The statements `db` runs while `body` runs, as SQL text. */
export async function statementsDuring(db: Knex, body: () => Promise<void>): Promise<string[]> {
  const statements: string[] = [];
  const listener = ({ sql }: { sql: string }) => statements.push(sql);
  db.on('query', listener);
  try {
    await body();
  } finally {
    db.off('query', listener);
  }
  return statements;
}
