import type { Knex } from 'knex';
import { postgresKnex } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

/** One node of a PostgreSQL plan, as `explain (format json)` gives it. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Plan Rows': number;
  /** With `verbose`: the expressions the node computes or passes on. */
  Output?: string[];
  /** With `analyze`: rows per loop, and loops. */
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

/** The nodes of the statement's plan; `options` such as `analyze, ` run it, for the rows each node really produced. */
export async function planNodes(
  knex: Knex,
  { sql, bindings }: { sql: string; bindings: readonly unknown[] },
  options = '',
): Promise<PlanNode[]> {
  const result = await knex.raw<{ rows: { 'QUERY PLAN': { Plan: PlanNode }[] }[] }>(
    `explain (${options}format json) ${sql}`,
    bindings as Knex.RawBinding[],
  );
  return nodesOf(result.rows[0]!['QUERY PLAN'][0]!.Plan);
}

/**
 * A fresh migrated PostgreSQL database, seeded by `seed` over a connection without the request
 * statement bound (tens of thousands of rows through the tasks triggers take longer on a slow machine).
 */
export async function seededPostgresDatabase(seed: readonly string[]): Promise<TestDatabase> {
  const database = await createTestDatabase('postgres');
  const seeder = postgresKnex(database.directUrl!, 1, { statementBound: 'none' });
  try {
    for (const statement of seed) await seeder.raw(statement);
  } catch (error) {
    await database.close();
    throw error;
  } finally {
    await seeder.destroy();
  }
  return database;
}
