import type { Knex } from 'knex';

export interface TagCountRow {
  name: string;
  task_count: number;
  open_task_count: number;
}

/**
 * The user's tags by name, each with how many of the user's tasks carry it and how many of those
 * are open (a task in the trash counts nowhere); at most `limit`. Tags are stored normalised, so
 * equal names are one tag. Names sort by code point (`collate "C"`): the same order on every
 * database, whatever its locale.
 */
export function countTags(db: Knex, userId: string, limit: number): Promise<TagCountRow[]> {
  return db
    .select(
      'tag.name',
      db.raw('count(*)::int as task_count'),
      db.raw('(count(*) filter (where not completed))::int as open_task_count'),
    )
    .from(db.raw('tasks cross join unnest(tasks.tags) as tag (name)'))
    .where('tasks.user_id', userId)
    .whereNull('tasks.deleted_at')
    .groupBy('tag.name')
    .orderByRaw('tag.name collate "C"')
    .limit(limit);
}
