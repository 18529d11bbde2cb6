import type { Knex } from 'knex';

export interface TaskRow {
  id: number;
  user_id: string;
  title: string;
  description: string | null;
  completed: boolean;
  completed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type CompletionFilter = 'open' | 'completed' | 'all';

export interface ListQuery {
  readonly completion: CompletionFilter;
  readonly limit: number;
  /** Only tasks strictly after this position in newest-first order. */
  readonly after?: { readonly createdAt: string; readonly id: number };
}

export interface NewTask {
  readonly title: string;
  readonly description: string | null;
  readonly completed: boolean;
}

/** The fields to change; `completed` may also be 'toggle'. Absent fields stay as they are. */
export interface TaskChanges {
  readonly title?: string;
  readonly description?: string | null;
  readonly completed?: boolean | 'toggle';
}

// Every query below filters on user_id first: a task of another user is never read or written.

export function listTasks(db: Knex, userId: string, query: ListQuery): Promise<TaskRow[]> {
  const rows = db<TaskRow>('tasks').where('user_id', userId);
  if (query.completion !== 'all') rows.andWhere('completed', query.completion === 'completed');
  if (query.after) rows.andWhereRaw('(created_at, id) < (?::timestamptz, ?)', [query.after.createdAt, query.after.id]);
  return rows.orderBy([
    { column: 'created_at', order: 'desc' },
    { column: 'id', order: 'desc' },
  ]).limit(query.limit);
}

export async function findTask(db: Knex, userId: string, id: number): Promise<TaskRow | undefined> {
  return db<TaskRow>('tasks').where({ user_id: userId, id }).first();
}

export async function insertTask(db: Knex, userId: string, task: NewTask): Promise<TaskRow> {
  const [row] = await db<TaskRow>('tasks')
    .insert({
      user_id: userId,
      title: task.title,
      description: task.description,
      completed: task.completed,
      completed_at: task.completed ? db.fn.now() : null,
    } as Partial<TaskRow>)
    .returning('*');
  if (!row) throw new Error('insert returned no row');
  return row;
}

/**
 * Applies the changes and returns the task as it now is, or `undefined` when the user has no such
 * task. `updated_at` moves only when a value really changes: writing what is already there is a no-op.
 */
export async function updateTask(db: Knex, userId: string, id: number, changes: TaskChanges): Promise<TaskRow | undefined> {
  const set: Record<string, unknown> = {};
  const compared: [column: string, value: Knex.Value][] = [];
  if (changes.title !== undefined) compared.push(['title', changes.title]);
  if (changes.description !== undefined) compared.push(['description', changes.description]);
  for (const [column, value] of compared) set[column] = value;

  if (changes.completed === 'toggle') {
    // The right-hand sides read the row as it was before this update.
    set.completed = db.raw('not completed');
    set.completed_at = db.raw('case when completed then null else now() end');
    set.updated_at = db.fn.now();
  } else {
    if (changes.completed !== undefined) {
      compared.push(['completed', changes.completed]);
      set.completed = changes.completed;
      // Completing an already completed task keeps the moment it was first completed.
      set.completed_at = changes.completed ? db.raw('coalesce(completed_at, now())') : null;
    }
    const columns = compared.map(([column]) => `"${column}"`).join(', ');
    const placeholders = compared.map(() => '?').join(', ');
    const values = compared.map(([, value]) => value);
    set.updated_at = db.raw(`case when (${columns}) is distinct from (${placeholders}) then now() else updated_at end`, values);
  }
  const [row] = await db<TaskRow>('tasks').where({ user_id: userId, id }).update(set).returning('*');
  return row;
}

/** Returns whether the user had such a task. */
export async function deleteTask(db: Knex, userId: string, id: number): Promise<boolean> {
  // `returning` rather than the affected-row count, which the PGlite driver does not report.
  const deleted = await db('tasks').where({ user_id: userId, id }).delete().returning('id');
  return deleted.length > 0;
}
