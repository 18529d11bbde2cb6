import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import type { ApiResponse, TestUser } from './api-client.js';

export type Change = components['schemas']['Change'];
export type ChangePage = components['schemas']['ChangePage'];
export type List = components['schemas']['List'];
export type Task = components['schemas']['Task'];

/** One GET of the user's changes feed. */
export function getChanges(
  user: TestUser,
  query: { since?: string; limit?: number | string } = {},
  headers: Record<string, string> = {},
): Promise<ApiResponse<ChangePage>> {
  const params = new URLSearchParams();
  if (query.since !== undefined) params.set('since', query.since);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const search = params.size > 0 ? `?${params.toString()}` : '';
  return user.call<ChangePage>('GET', `/api/${encodeURIComponent(user.id)}/changes${search}`, { headers });
}

/** Every page from `since` (a snapshot without it) until `has_more` is false. */
export async function readToEnd(
  user: TestUser,
  since?: string,
  limit?: number,
): Promise<{ changes: Change[]; pages: Change[][]; token: string }> {
  const pages: Change[][] = [];
  let token = since;
  for (;;) {
    const response = await getChanges(user, { since: token, limit });
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    pages.push(response.body.changes);
    token = response.body.next_token;
    if (!response.body.has_more) return { changes: pages.flat(), pages, token };
  }
}

/** A client's copy of the user's lists and tasks, kept by applying the feed. */
export class FeedCopy {
  readonly tasks = new Map<number, Task>();
  readonly lists = new Map<number, List>();
  applied = 0;

  apply(changes: readonly Change[]): void {
    for (const change of changes) {
      if (change.entity === 'task') keep(this.tasks, change, change.task);
      else keep(this.lists, change, change.list);
      this.applied += 1;
    }
  }
}

function keep<T>(held: Map<number, T>, change: Change, state: T | undefined): void {
  if (change.change !== 'upserted') held.delete(change.id);
  else if (state === undefined) throw new Error(`an upsert without its state: ${JSON.stringify(change)}`);
  else held.set(change.id, state);
}
