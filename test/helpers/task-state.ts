import { expect } from 'chai';
import type { ApiSuite } from './api-suite.js';
import type { Task, TestUser } from './api-client.js';

/** The user's tasks through the API, by id (tests that use this keep to one page of 100). */
export async function listedTasks(user: TestUser): Promise<Task[]> {
  const response = await user.call<{ items: Task[]; next_cursor: string | null }>('GET', '/tasks?limit=100');
  expect(response.status).to.equal(200);
  expect(response.body.next_cursor, 'more than one page').to.equal(null);
  return response.body.items.sort((a, b) => a.id - b.id);
}

/** The user's rows as stored, read past the API: what a refused or rolled-back request must leave exactly as it was. */
export function storedTasks(suite: ApiSuite, user: TestUser): Promise<Record<string, unknown>[]> {
  return suite.database().knex('tasks').where('user_id', user.id).orderBy('id');
}

/** The audit lines logged for the user so far, as `action task_id`. */
export function auditTrail(suite: ApiSuite, user: TestUser): string[] {
  return suite.server().logs.flatMap((line) => {
    const audit = line.audit as { action: string; user_id: string; task_id: number } | undefined;
    return audit?.user_id === user.id ? [`${audit.action} ${audit.task_id}`] : [];
  });
}
