import { DomainError } from '../contract/domain-error.js';
import { refusingOverQuota } from '../quotas/task-quotas.js';

/** How deep tasks nest: a top-level task is on level 1 (the tasks trigger holds the same bound). */
export const MAX_LEVELS = 4;

/** A body names a list or parent the user does not have: a conflict with the user's data, at the field that names it. */
function notYours(detail: string, pointer: string, what: 'lists' | 'tasks'): DomainError {
  return new DomainError('conflict', detail, {
    issues: [{ location: 'body', pointer, message: `is not the id of one of your ${what}` }],
  });
}

/**
 * The tasks trigger's refusals of a task's place (db/migrations/20261220000000_lists_subtasks_trash_changes.ts),
 * by SQLSTATE, each with the id it names in its detail: what each means to the client.
 */
const REFUSALS: Record<string, (detail: string) => DomainError> = {
  TL404: (detail) => notYours(`List ${detail} is not one of your lists.`, '/list_id', 'lists'),
  TP404: (detail) => notYours(`Task ${detail} is not one of your tasks (outside the trash).`, '/parent_id', 'tasks'),
  TP409: (detail) =>
    new DomainError('conflict', `Task ${detail} is in another list: a subtask is always in its parent's list.`),
  TC409: () => new DomainError('conflict', 'A task cannot be placed under itself or under one of its own subtasks.'),
  TD409: (detail) => {
    const { parent, levels } = JSON.parse(detail) as { parent: number; levels: number };
    return new DomainError(
      'conflict',
      `Tasks nest at most ${MAX_LEVELS} levels deep; under task ${parent} this one (with its subtasks) would reach level ${levels}.`,
    );
  },
};

/** The trigger's refusal of a list or parent, for a service that finds the same fault before its write. */
export function placementRefusal(code: 'TL404' | 'TP404' | 'TP409', detail: string): DomainError {
  return REFUSALS[code]!(detail);
}

/**
 * Runs a write that places tasks (creates, moves, restores them), turning the database's refusal
 * of a place or a quota into the client's problem; the write wrote nothing.
 */
export async function refusingMisplacement<T>(write: PromiseLike<T>): Promise<T> {
  try {
    return await refusingOverQuota(write);
  } catch (error) {
    const { code, detail, constraint } = error as { code?: unknown; detail?: unknown; constraint?: unknown };
    const refusal = typeof code === 'string' ? REFUSALS[code] : undefined;
    if (refusal && typeof detail === 'string') throw refusal(detail);
    // The list or parent was there when the trigger looked, and deleted before the write ended.
    const gone = code === FOREIGN_KEY_VIOLATION && typeof constraint === 'string' ? VANISHED[constraint] : undefined;
    if (gone && typeof detail === 'string') throw REFUSALS[gone]!(/=\((\d+)\)/.exec(detail)?.[1] ?? '?');
    throw error;
  }
}

const FOREIGN_KEY_VIOLATION = '23503';

/** The foreign keys a place names, as the refusal of a list or parent the user does not have. */
const VANISHED: Record<string, string> = { tasks_list_id_fkey: 'TL404', tasks_parent_id_fkey: 'TP404' };
