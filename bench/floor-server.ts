/**
 * The floor: the least a Node process can do to answer list, get and create. Bare node:http and a
 * pg Pool (the size of ours), HS256 checked with node:crypto, JSON out; no framework, no validation.
 * It runs exactly the SQL our server sends (captured with DEBUG=knex:query), so that the ratio of
 * our figures to its figures measures what our layers cost, not what PostgreSQL costs.
 *
 * Env: PORT, DATABASE_URL, BETTER_AUTH_SECRET, DB_POOL_MAX (10).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';

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
/** Our server writes a user once per process (and again only when the claims change): so does the floor. */
const provisioned = new Set<string>();

interface Claims {
  sub: string;
  exp: number;
  email?: string;
  name?: string;
}

function verify(header: string | undefined): Claims | undefined {
  if (!header?.startsWith('Bearer ')) return undefined;
  const [head, body, signature] = header.slice(7).split('.');
  if (!head || !body || !signature) return undefined;
  if ((JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: unknown }).alg !== 'HS256') return undefined;
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Claims;
  return typeof claims.sub === 'string' && claims.exp > Date.now() / 1000 ? claims : undefined;
}

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

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<{ title?: unknown; description?: unknown }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}') as { title?: unknown; description?: unknown };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://floor');
  if (url.pathname === '/health') return send(res, 200, { status: 'ok' });
  const match = /^\/api\/([^/]+)\/tasks(?:\/(\d+))?$/.exec(url.pathname);
  if (!match) return send(res, 404, { title: 'Not Found' });
  const claims = verify(req.headers.authorization);
  if (!claims) return send(res, 401, { title: 'Unauthorized' }, { 'www-authenticate': 'Bearer' });
  const userId = decodeURIComponent(match[1]!);
  if (userId !== claims.sub) return send(res, 403, { title: 'Forbidden' });
  if (!provisioned.has(userId)) {
    await pool.query(UPSERT_USER_SQL, [userId, claims.email ?? null, claims.name ?? null]);
    provisioned.add(userId);
  }
  const taskId = match[2];
  if (req.method === 'GET' && taskId === undefined) {
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 50), 100);
    const { rows } = await pool.query<TaskRow>(LIST_SQL, [userId, limit + 1]);
    return send(res, 200, {
      items: rows.slice(0, limit).map(toTask),
      next_cursor: rows.length > limit ? 'more' : null,
    });
  }
  if (req.method === 'GET') {
    const { rows } = await pool.query<TaskRow>(GET_SQL, [userId, Number(taskId), 1]);
    return rows[0] ? send(res, 200, toTask(rows[0])) : send(res, 404, { title: 'Not Found' });
  }
  if (req.method === 'POST' && taskId === undefined) {
    const body = await readJson(req);
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
    return send(res, 201, toTask(created), { location: `/api/${userId}/tasks/${created.id}` });
  }
  return send(res, 405, { title: 'Method Not Allowed' });
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => send(res, 500, { title: 'Internal Server Error' }));
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => void pool.end());
  server.closeAllConnections(); // keep-alive connections of the load generator would hold close() open
});
