import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import { entityTagCondition, ifMatchHolds, ifNoneMatchFails } from '../contract/entity-tags.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import type { ListView } from './list-query.js';
import { nextDue } from './recurrence.js';
import { TaskNotFoundError, TaskPreconditionFailedError, TaskPreconditionRequiredError } from './task-errors.js';
import { represent, type TaskRepresentation } from './task-representation.js';
import * as store from './tasks.store.js';
import type { TaskChanges, TaskRow } from './tasks.store.js';
import { normalizeTags, PRIORITIES } from './task-fields.js';
import type { TaskQuotas } from '../quotas/task-quotas.js';
import { ListNotFoundError } from '../lists/list-errors.js';
import { findList } from '../lists/lists.store.js';
import { currentSchedule, details, pick, SCHEDULE_FIELDS, scheduleColumns } from './task-schedule.js';
import { definitionsOf } from '../reminders/reminder-schedule.js';
import { wakeUpForWritten, type WakeUp } from '../reminders/reminder-wakeup.js';

type Schemas = components['schemas'];

export interface ListOptions extends ListView {
  readonly limit: number;
  readonly cursor: string | undefined;
}

export interface TaskPage {
  readonly rows: TaskRow[];
  readonly nextCursor: string | null;
}

export type TaskService = ReturnType<typeof createTaskService>;

/** A write's result: the task as it now is, and the next occurrence its completion created, if any. */
export interface Written {
  readonly row: TaskRow;
  readonly newOccurrence: TaskRow | null;
  /** Whether the write asked for any change (a merge patch with no field asks for none): what the audit trail records. */
  readonly changed: boolean;
}

/**
 * What a write of an existing task expects of it: the `If-Match` the client sent, if any, and
 * where a bulk action states it (`/actions/3/if_match`), for problems to point at.
 */
export interface WriteCondition {
  readonly ifMatch?: string | undefined;
  readonly ifMatchAt?: string;
}

export interface TaskPolicy {
  /**
   * REQUIRE_IF_MATCH: replace, update, complete and delete without `If-Match` are refused (428),
   * single writes and bulk actions alike: bulk is no way around it.
   */
  readonly requireIfMatch: boolean;
  /** The user's quotas: a write that would go past one is refused (409) and writes nothing. */
  readonly quotas: TaskQuotas;
  /** Told of the reminders a write arms that fire soon (absent: nothing fires them, as in tests without the job engine). */
  readonly wakeUp?: WakeUp;
}

/**
 * What the writer expects of the task as it is (its `If-Match`): a write goes ahead only if the
 * task, read under the write's row lock, meets it.
 */
type Precondition = (current: TaskRow) => boolean;

/**
 * The write's precondition, read before the task is (a malformed or missing one says nothing of
 * the task): undefined without `If-Match`, unless the policy requires one.
 */
export function preconditionOf(
  { ifMatch, ifMatchAt }: WriteCondition,
  { requireIfMatch }: TaskPolicy,
): Precondition | undefined {
  if (ifMatch === undefined) {
    if (requireIfMatch) throw new TaskPreconditionRequiredError(ifMatchAt);
    return undefined;
  }
  const condition = entityTagCondition(ifMatchAt === undefined ? 'If-Match' : { bodyPointer: ifMatchAt }, ifMatch);
  return (current) => ifMatchHolds(condition, represent(current).etag);
}

/** The user's task, once it meets the precondition (if any); otherwise TaskPreconditionFailedError. */
export function assertIfMatch(
  precondition: Precondition | undefined,
  row: TaskRow,
  { ifMatchAt }: WriteCondition,
): TaskRow {
  if (precondition !== undefined && !precondition(row)) throw new TaskPreconditionFailedError(row.id, ifMatchAt);
  return row;
}

/** The user's task, or TaskNotFoundError. */
export function requireTask(id: number, row: TaskRow | undefined): TaskRow {
  if (row === undefined) throw new TaskNotFoundError(id);
  return row;
}

/** Creates the occurrence after a just completed one and links them, unless the series has ended. */
async function continueSeries(trx: Knex.Transaction, completed: TaskRow, quotas: TaskQuotas): Promise<Written> {
  const due = nextDue({
    due: { due_date: completed.due_date, due_at: completed.due_at_text, time_zone: completed.time_zone },
    recurrence: completed.recurrence!,
    anchor: completed.recurrence_anchor!,
    occurrence: completed.occurrence ?? 1,
    completedAt: completed.completed_at!,
  });
  if (due === null) return { row: completed, newOccurrence: null, changed: true };
  const next = await store.insertTask(
    trx,
    completed.user_id,
    {
      title: completed.title,
      description: completed.description,
      completed: false,
      priority: completed.priority,
      tags: completed.tags,
      // The series goes on from its first due: the anchor is kept, not restarted. Its reminders
      // (the same ids) are armed for the new due.
      ...scheduleColumns({ ...due, recurrence: completed.recurrence, reminders: definitionsOf(completed.reminders) }),
      recurrence_anchor: completed.recurrence_anchor,
      series_id: completed.series_id ?? completed.id,
      occurrence: (completed.occurrence ?? 1) + 1,
    },
    quotas,
  );
  const row = requireTask(completed.id, await store.setNextOccurrence(trx, completed.user_id, completed.id, next.id));
  return { row, newOccurrence: next, changed: true };
}

/** The rules of tasks: what each write means, what it must meet, and what "not found" is. Knows nothing of HTTP. */
export function createTaskService(db: Knex, policy: TaskPolicy) {
  const get = async (userId: string, id: number) => requireTask(id, await store.findTask(db, userId, id));

  /**
   * Writes changes to the task. A write that may complete it, whose changes depend on the task as
   * it is, or that has a precondition, locks the row in a transaction: a concurrent writer waits,
   * then reads the row as this one left it, so a precondition on the task as last read cannot pass
   * twice. An occurrence of a recurring task that becomes completed then continues its series, once.
   */
  const write = async (
    userId: string,
    id: number,
    changes: TaskChanges | ((current: TaskRow) => TaskChanges),
    condition: WriteCondition,
  ): Promise<Written> => {
    const precondition = preconditionOf(condition, policy);
    if (precondition === undefined && typeof changes !== 'function' && changes.completed === undefined) {
      return {
        row: requireTask(id, await store.updateTask(db, userId, id, changes, policy.quotas)),
        newOccurrence: null,
        changed: true,
      };
    }
    return db.transaction(async (trx) => {
      const before = assertIfMatch(
        precondition,
        requireTask(id, await store.findTask(trx, userId, id, { forUpdate: true })),
        condition,
      );
      const row = requireTask(
        id,
        await store.updateTask(
          trx,
          userId,
          id,
          typeof changes === 'function' ? changes(before) : changes,
          policy.quotas,
        ),
      );
      const becameCompleted = row.completed && !before.completed;
      return becameCompleted && row.recurrence !== null && row.next_occurrence_id === null
        ? continueSeries(trx, row, policy.quotas)
        : { row, newOccurrence: null, changed: true };
    });
  };

  /** Writes changes to the task (`write`), then asks for a wake-up for a reminder it armed that fires soon. */
  const change = async (
    userId: string,
    id: number,
    changes: TaskChanges | ((current: TaskRow) => TaskChanges),
    condition: WriteCondition,
  ): Promise<Written> => {
    const written = await write(userId, id, changes, condition);
    wakeUpForWritten(policy.wakeUp, [written.row, written.newOccurrence]);
    return written;
  };

  return {
    get,

    /** The task, unless the client's copy is current (its `If-None-Match` holds a tag equal to the task's). */
    async getUnlessCurrent(
      userId: string,
      id: number,
      ifNoneMatch: string | undefined,
    ): Promise<TaskRepresentation & { current: boolean }> {
      const representation = represent(await get(userId, id));
      const current =
        ifNoneMatch !== undefined &&
        ifNoneMatchFails(entityTagCondition('If-None-Match', ifNoneMatch), representation.etag);
      return { ...representation, current };
    },

    async list(userId: string, { limit, cursor, ...view }: ListOptions): Promise<TaskPage> {
      const after = cursor === undefined ? undefined : decodeCursor(cursor, view);
      // A list or parent that is not there is a 404, not an empty page that looks like one.
      const { listId, parentId } = view.filters;
      if (listId !== null && !(await findList(db, userId, listId))) throw new ListNotFoundError(listId);
      if (parentId !== null) await get(userId, parentId);
      // One extra row tells whether another page follows.
      const rows = await store.listTasks(db, userId, { ...view, limit: limit + 1, after });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const nextCursor =
        rows.length > limit && last
          ? encodeCursor(view, { value: last.sort_value, id: last.id, candidatesUpTo: last.candidates_up_to })
          : null;
      return { rows: page, nextCursor };
    },

    async create(userId: string, input: Schemas['TaskCreate']): Promise<TaskRow> {
      const row = await store.insertTask(
        db,
        userId,
        {
          title: input.title.trim(),
          description: input.description ?? null,
          completed: input.completed ?? false,
          ...details(input),
          ...(input.list_id !== undefined ? { list_id: input.list_id } : {}),
          ...(input.parent_id !== undefined ? { parent_id: input.parent_id } : {}),
        },
        policy.quotas,
      );
      wakeUpForWritten(policy.wakeUp, [row]);
      return row;
    },

    replace(
      userId: string,
      id: number,
      input: Schemas['TaskReplace'],
      condition: WriteCondition = {},
    ): Promise<Written> {
      return change(
        userId,
        id,
        (current) => ({
          title: input.title.trim(),
          description: input.description,
          completed: input.completed,
          ...details(input, current),
        }),
        condition,
      );
    },

    async update(
      userId: string,
      id: number,
      patch: Schemas['TaskPatch'],
      condition: WriteCondition = {},
    ): Promise<Written> {
      const changes: TaskChanges = {
        ...(patch.title !== undefined ? { title: patch.title.trim() } : {}),
        ...('description' in patch ? { description: patch.description ?? null } : {}),
        ...(patch.completed !== undefined ? { completed: patch.completed } : {}),
        ...(patch.priority !== undefined ? { priority: PRIORITIES.indexOf(patch.priority) } : {}),
        ...(patch.tags !== undefined ? { tags: normalizeTags(patch.tags) } : {}),
      };
      if (!SCHEDULE_FIELDS.some((field) => field in patch)) {
        // An empty merge patch changes nothing, so its precondition needs no lock.
        if (Object.keys(changes).length === 0) {
          const precondition = preconditionOf(condition, policy);
          return {
            row: assertIfMatch(precondition, await get(userId, id), condition),
            newOccurrence: null,
            changed: false,
          };
        }
        return change(userId, id, changes, condition);
      }
      // Due fields are checked on the task as patched.
      const patched = pick(patch, SCHEDULE_FIELDS);
      return change(
        userId,
        id,
        (current) => ({ ...changes, ...scheduleColumns({ ...currentSchedule(current), ...patched }, current) }),
        condition,
      );
    },

    /** Sets the completion state, or toggles it when `completed` is undefined. */
    complete(
      userId: string,
      id: number,
      completed: boolean | undefined,
      condition: WriteCondition = {},
    ): Promise<Written> {
      return change(userId, id, { completed: completed ?? 'toggle' }, condition);
    },

    /** Moves the task and its subtasks to the trash. */
    async remove(userId: string, id: number, condition: WriteCondition = {}): Promise<void> {
      const precondition = preconditionOf(condition, policy);
      if (precondition === undefined) {
        if (!(await store.trashTask(db, userId, id))) throw new TaskNotFoundError(id);
        return;
      }
      // Checked on the locked row, as a conditional change is.
      await db.transaction(async (trx) => {
        assertIfMatch(
          precondition,
          requireTask(id, await store.findTask(trx, userId, id, { forUpdate: true })),
          condition,
        );
        await store.trashTask(trx, userId, id);
      });
    },

    /** Moves every completed task of the user to the trash, with its subtasks; returns the completed tasks' ids. */
    clearCompleted(userId: string): Promise<number[]> {
      return store.trashCompletedTasks(db, userId);
    },
  };
}
