import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ApiResponse, TestUser } from './api-client.js';
import type { ApiSuite } from './api-suite.js';

export const newKey = () => randomUUID();
export const keyed = (key: string, headers: Record<string, string> = {}) => ({ ...headers, 'Idempotency-Key': key });

/** Moves the key's expiry into the past, as if `ms` had gone by since it was answered. */
export async function age(suite: ApiSuite, user: TestUser, key: string, ms: number): Promise<void> {
  const { knex } = suite.database();
  const moved = await knex('idempotency_keys')
    .where({ user_id: user.id, key })
    .update({ expires_at: knex.raw(`expires_at - ?::integer * interval '1 millisecond'`, [ms]) });
  expect(moved, 'the key is stored').to.equal(1);
}

/** The parts of an answer a replay must repeat: status, body (its keys in the same order too) and the handler's headers. */
export function answer(response: ApiResponse) {
  return {
    status: response.status,
    body: JSON.stringify(response.body),
    location: response.headers.get('location'),
    etag: response.headers.get('etag'),
    contentType: response.headers.get('content-type'),
  };
}
