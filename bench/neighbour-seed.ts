import pg from 'pg';
import { NEIGHBOUR_TASKS, type BenchUser } from './scenarios.js';
import { signToken } from './tokens.js';

const NEIGHBOUR_ID = 'bench-neighbour';

/**
 * The noisy neighbour: provisioned through the API (its first request), then given NEIGHBOUR_TASKS
 * tasks in one SQL statement, which takes seconds where the API would take minutes. Every task
 * matches the neighbour's search (`plan`), so that its relevance search ranks them all.
 */
export async function seedNeighbour(baseUrl: string, databaseUrl: string, secret: string): Promise<BenchUser> {
  const token = signToken(secret, NEIGHBOUR_ID);
  const me = await fetch(`${baseUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  if (me.status !== 200) throw new Error(`seeding the neighbour: GET /api/me answered ${me.status}`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      `insert into tasks (user_id, title, description)
       select $1, 'Plan item ' || n, case when n % 2 = 0 then 'Planning notes for the quarterly plan, item ' || n end
       from generate_series(1, $2::int) as n
       returning id`,
      [NEIGHBOUR_ID, NEIGHBOUR_TASKS],
    );
    await client.query('analyze tasks');
    return { id: NEIGHBOUR_ID, token, taskIds: rows.map(({ id }) => Number(id)) };
  } finally {
    await client.end();
  }
}
