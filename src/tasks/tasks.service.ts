import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import { TaskNotFoundError } from './task-errors.js';
import * as store from './tasks.store.js';
import type { CompletionFilter, TaskChanges, TaskRow } from './tasks.store.js';

type Schemas = components['schemas'];

export interface ListOptions {
  readonly status: CompletionFilter;
  readonly limit: number;
  readonly cursor: string | undefined;
}

export interface TaskPage {
  readonly rows: TaskRow[];
  readonly nextCursor: string | null;
}

export type TaskService = ReturnType<typeof createTaskService>;

/** The user's task, or TaskNotFoundError. */
function found(id: number, row: TaskRow | undefined): TaskRow {
  if (row === undefined) throw new TaskNotFoundError(id);
  return row;
}

/** The rules of tasks: what each write means, and what "not found" is. Knows nothing of HTTP. */
export function createTaskService(db: Knex) {
  const get = async (userId: string, id: number) => found(id, await store.findTask(db, userId, id));
  const change = async (userId: string, id: number, changes: TaskChanges) =>
    found(id, await store.updateTask(db, userId, id, changes));

  return {
    get,

    async list(userId: string, options: ListOptions): Promise<TaskPage> {
      const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, options.status);
      // One extra row tells whether another page follows.
      const rows = await store.listTasks(db, userId, { completion: options.status, limit: options.limit + 1, after });
      const page = rows.slice(0, options.limit);
      const last = page.at(-1);
      const nextCursor =
        rows.length > options.limit && last
          ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id, status: options.status })
          : null;
      return { rows: page, nextCursor };
    },

    create(userId: string, input: Schemas['TaskCreate']): Promise<TaskRow> {
      return store.insertTask(db, userId, {
        title: input.title.trim(),
        description: input.description ?? null,
        completed: input.completed ?? false,
      });
    },

    replace(userId: string, id: number, input: Schemas['TaskReplace']): Promise<TaskRow> {
      return change(userId, id, { title: input.title.trim(), description: input.description, completed: input.completed });
    },

    update(userId: string, id: number, patch: Schemas['TaskPatch']): Promise<TaskRow> {
      const changes: TaskChanges = {
        ...(patch.title !== undefined ? { title: patch.title.trim() } : {}),
        ...('description' in patch ? { description: patch.description ?? null } : {}),
        ...(patch.completed !== undefined ? { completed: patch.completed } : {}),
      };
      // An empty merge patch changes nothing.
      return Object.keys(changes).length === 0 ? get(userId, id) : change(userId, id, changes);
    },

    /** Sets the completion state, or toggles it when `completed` is undefined. */
    complete(userId: string, id: number, completed: boolean | undefined): Promise<TaskRow> {
      return change(userId, id, { completed: completed ?? 'toggle' });
    },

    async remove(userId: string, id: number): Promise<void> {
      if (!(await store.deleteTask(db, userId, id))) throw new TaskNotFoundError(id);
    },
  };
}
