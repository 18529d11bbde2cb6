import type { components } from '../../generated/api.js';
import { strongEntityTag } from '../contract/entity-tags.js';
import { toReminder } from '../reminders/reminder-representation.js';
import { completeRecurrence, PRIORITIES } from './task-fields.js';
import type { TaskRow } from './tasks.store.js';

export type Task = components['schemas']['Task'];

export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    user_id: row.user_id,
    list_id: row.list_id,
    parent_id: row.parent_id,
    position: row.position,
    title: row.title,
    description: row.description,
    completed: row.completed,
    completed_at: row.completed_at ? row.completed_at.toISOString() : null,
    priority: PRIORITIES[row.priority]!,
    tags: row.tags,
    due_date: row.due_date,
    due_at: row.due_at_text,
    time_zone: row.time_zone,
    // jsonb keeps its own key order: shown in the spec's.
    recurrence: row.recurrence && completeRecurrence(row.recurrence),
    reminders: row.reminders.map(toReminder),
    // The first occurrence of a series is its own series.
    series_id: row.series_id ?? (row.recurrence ? row.id : null),
    next_occurrence_id: row.next_occurrence_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/**
 * The task's strong ETag: a hash of its representation (toTask builds it with a fixed key order).
 * Not a version column: a hash cannot miss a write path that forgets to bump it, and it stays the
 * same after a write that leaves the task as it was (the store keeps `updated_at` then), which a
 * counter would not. Every change the client can see changes the hash; the columns it cannot see
 * (the series' anchor, the due instants derived from the due fields) change only along with
 * fields it can, `updated_at` at least.
 */
function taskEntityTag(task: Task): string {
  return strongEntityTag(task);
}

/** A task as the client reads it, with its ETag: what every single-task answer carries. */
export interface TaskRepresentation {
  readonly task: Task;
  readonly etag: string;
}

export function represent(row: TaskRow): TaskRepresentation {
  const task = toTask(row);
  return { task, etag: taskEntityTag(task) };
}
