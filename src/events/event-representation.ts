import type { components } from '../../generated/api.js';
import { toList } from '../lists/list-representation.js';
import type { ListRow } from '../lists/lists.store.js';
import { toTask } from '../tasks/task-representation.js';
import type { TaskRow } from '../tasks/tasks.store.js';
import type { EventRow } from './events.store.js';

export type Event = components['schemas']['Event'];
export type EventType = components['schemas']['EventType'];
type EventData = components['schemas']['EventData'];

/** The timestamp columns of a stored row, which its JSON copy holds as text. */
const TASK_TIMESTAMPS = ['completed_at', 'created_at', 'updated_at', 'due_at', 'due_key', 'overdue_at'] as const;
const LIST_TIMESTAMPS = ['created_at', 'updated_at'] as const;

/** A stored row read back from its JSON copy (to_jsonb): its timestamps as Dates again. */
function rowFromJson<Row>(json: Record<string, unknown>, timestamps: readonly string[]): Row {
  const row: Record<string, unknown> = { ...json };
  for (const column of timestamps) {
    const value = row[column];
    if (typeof value === 'string') row[column] = new Date(value);
  }
  return row as Row;
}

/**
 * What an event says about its objects. A task's or a list's event stores the row itself; the
 * other kinds store their objects under their own names, already as the API shows them.
 */
function eventData(row: EventRow): EventData {
  if (row.type.startsWith('task.')) return { task: toTask(rowFromJson<TaskRow>(row.data, TASK_TIMESTAMPS)) };
  if (row.type.startsWith('list.')) return { list: toList(rowFromJson<ListRow>(row.data, LIST_TIMESTAMPS)) };
  return row.data;
}

export function toEvent(row: EventRow): Event {
  return {
    id: String(row.seq),
    type: row.type as EventType,
    created_at: row.created_at.toISOString(),
    data: eventData(row),
  };
}
