import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import type { AuthenticatedUser } from '../contract/authenticated-user.js';
import { upsertUser } from './users.store.js';

/** Makes sure the token's user exists in the database and matches the token's claims. */
export type UserProvisioner = (user: AuthenticatedUser) => Promise<void>;

/**
 * Remembers, per process, which users were recently written with which claims, so that a
 * steady stream of requests from one user costs no database write. Forgetting is harmless:
 * the upsert is idempotent, which also keeps several processes correct without sharing state.
 */
export function createUserProvisioner(db: Knex): UserProvisioner {
  const written = new LRUCache<string, string>({ max: 10_000, ttl: 10 * 60_000 });
  return async (user) => {
    const claims = JSON.stringify([user.email, user.name]);
    if (written.get(user.id) === claims) return;
    await upsertUser(db, user);
    written.set(user.id, claims);
  };
}
