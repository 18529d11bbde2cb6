/**
 * What the two reference servers (floor-server.ts on node:http, express-floor-server.ts on
 * Express 5) share: the token check and exactly the SQL our server sends (captured with
 * DEBUG=knex:query), so that the ratio of our figures to theirs measures what our layers cost,
 * not what PostgreSQL costs, and the two references differ only by their HTTP layer.
 *
 * Env: DATABASE_URL, BETTER_AUTH_SECRET, DB_POOL_MAX (10).
 */
import pg from 'pg';
import { verifyBearer } from './floor-token.js';

const secret = Buffer.from(process.env.BETTER_AUTH_SECRET ?? '');
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
// Our server reads `date` as text too (no time-zone shift); int8 does not occur in these columns.
pg.types.setTypeParser(1082, (value: string) => value);

const COLUMNS =
  '"id", "user_id", "title", "description", "completed", "completed_at", "priority", "tags", "due_date", "due_at", "due_at_text", "time_zone", "due_key", "overdue_at", "recurrence", "recurrence_anchor", "series_id", "occurrence", "next_occurrence_id", "created_at", "updated_at"';
const LIST_SQL = `select ${COLUMNS}, "created_at" as sort_value from "tasks" where "user_id" = $1 order by "created_at" desc, id desc limit $2`;
const GET_SQL = `select ${COLUMNS} from "tasks" where "user_id" = $1 and "id" = $2 limit $3`;
const INSERT_SQL = `insert into "tasks" ("completed", "completed_at", "description", "due_at", "due_at_text", "due_date", "due_key", "overdue_at", "priority", "recurrence", "recurrence_anchor", "tags", "time_zone", "title", "user_id") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) returning ${COLUMNS}`;
const UPSERT_USER_SQL = `insert into users (id, email, name) values ($1, $2, $3)
     on conflict (id) do update set email = excluded.email, name = excluded.name, updated_at = now()
     where users.email is distinct from excluded.email or users.name is distinct from excluded.name`;

const PRIORITIES = ['none', 'low', 'medium', 'high'];
/** Our server writes a user once per process (and again only when the claims change): so do the references. */
const provisioned = new Set<string>();

/** What a reference server sends: its HTTP layer turns it into a JSON response. */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export const HEALTHY: Answer = { status: 200, body: { status: 'ok' } };
export const NOT_FOUND: Answer = { status: 404, body: { title: 'Not Found' } };

/** A row as pg returns it here: int8 as text (no parser is set for it), timestamptz as a Date, jsonb parsed. */
interface TaskRow {
  id: string;
  user_id: string;
  title: string;
  description: string | null;
  completed: boolean;
  completed_at: Date | null;
  priority: number;
  tags: string[];
  due_date: string | null;
  due_at_text: string | null;
  time_zone: string | null;
  recurrence: unknown;
  series_id: string | null;
  next_occurrence_id: string | null;
  created_at: Date;
  updated_at: Date;
}

function toTask(row: TaskRow) {
  return {
    id: row.id,
    user_id: row.user_id,
    title: row.title,
    description: row.description,
    completed: row.completed,
    completed_at: row.completed_at,
    priority: PRIORITIES[row.priority],
    tags: row.tags,
    due_date: row.due_date,
    due_at: row.due_at_text,
    time_zone: row.time_zone,
    recurrence: row.recurrence,
    series_id: row.series_id ?? (row.recurrence ? row.id : null),
    next_occurrence_id: row.next_occurrence_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * The token check for `userId`'s tasks: a 401 or 403 answer to send, or undefined once the
 * user is known (written on its first request in this process).
 */
export async function refuse(authorization: string | undefined, userId: string): Promise<Answer | undefined> {
  const claims = verifyBearer(authorization, secret);
  if (!claims) return { status: 401, body: { title: 'Unauthorized' }, headers: { 'www-authenticate': 'Bearer' } };
  if (userId !== claims.sub) return { status: 403, body: { title: 'Forbidden' } };
  if (!provisioned.has(userId)) {
    await pool.query(UPSERT_USER_SQL, [userId, claims.email ?? null, claims.name ?? null]);
    provisioned.add(userId);
  }
  return undefined;
}

export async function listTasks(userId: string, limitParam: string | null | undefined): Promise<Answer> {
  const limit = Math.min(Number(limitParam ?? 50), 100);
  const { rows } = await pool.query<TaskRow>(LIST_SQL, [userId, limit + 1]);
  return {
    status: 200,
    body: { items: rows.slice(0, limit).map(toTask), next_cursor: rows.length > limit ? 'more' : null },
  };
}

export async function getTask(userId: string, taskId: string): Promise<Answer> {
  const { rows } = await pool.query<TaskRow>(GET_SQL, [userId, Number(taskId), 1]);
  return rows[0] ? { status: 200, body: toTask(rows[0]) } : NOT_FOUND;
}

export async function createTask(userId: string, body: { title?: unknown; description?: unknown }): Promise<Answer> {
  const values = [
    false,
    null,
    body.description ?? null,
    null,
    null,
    null,
    null,
    null,
    0,
    null,
    null,
    [],
    null,
    body.title,
    userId,
  ];
  const { rows } = await pool.query<TaskRow>(INSERT_SQL, values);
  const created = rows[0]!; // insert … returning: exactly one row
  return { status: 201, body: toTask(created), headers: { location: `/api/${userId}/tasks/${created.id}` } };
}

/** Closes the pool once the server has stopped. */
export const closeDatabase = (): Promise<void> => pool.end();
