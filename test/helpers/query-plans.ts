import type { Knex } from 'knex';

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
