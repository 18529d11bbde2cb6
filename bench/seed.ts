import { LIST_USER_TASKS, MANY_USERS, USER_TASKS, type BenchUser, type Fixture } from './scenarios.js';
import { signToken } from './tokens.js';

/** Requests in flight while seeding: enough to be quick, few enough to stay clear of the pool's acquire timeout. */
const SEED_CONCURRENCY = 32;

/** Creates the benchmark's users and tasks through the API, as clients would. */
export async function seed(baseUrl: string, secret: string): Promise<Fixture> {
  const user = (id: string, tasks: number) => ({ id, token: signToken(secret, id), tasks });
  const plans = [user('bench-list', LIST_USER_TASKS), user('bench-writer', 1)];
  for (let i = 0; i < MANY_USERS; i++) plans.push(user(`bench-user-${String(i).padStart(4, '0')}`, USER_TASKS));

  const jobs = plans.flatMap((plan) => Array.from({ length: plan.tasks }, (_, n) => ({ plan, n })));
  const taskIds = new Map<string, number[]>(plans.map((plan) => [plan.id, []]));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { plan, n } = jobs[next++]!;
      taskIds.get(plan.id)!.push(await createTask(baseUrl, plan.id, plan.token, n));
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));

  const [listUser, writer, ...users] = plans.map((plan): BenchUser => ({
    id: plan.id,
    token: plan.token,
    taskIds: taskIds.get(plan.id)!,
  }));
  return { listUser: listUser!, writer: writer!, users };
}

async function createTask(baseUrl: string, userId: string, token: string, n: number): Promise<number> {
  const response = await fetch(`${baseUrl}/api/${userId}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    // Tasks as people write them: a title, sometimes a description, a priority and tags.
    body: JSON.stringify({
      title: `Task ${n} of ${userId}`,
      description: n % 2 ? 'Some details about this task.' : null,
      priority: 'medium',
      tags: ['work'],
    }),
  });
  if (response.status !== 201)
    throw new Error(`seeding: POST /api/${userId}/tasks answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: number }).id;
}
