import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import type { QuotaConfig } from '../config.js';
import { quotaExceeded } from '../contract/domain-error.js';
import { entityTagCondition, ifMatchHolds, ifNoneMatchFails } from '../contract/entity-tags.js';
import {
  DefaultListDeletionError,
  ListNameTakenError,
  ListNotFoundError,
  ListPreconditionFailedError,
  ListPreconditionRequiredError,
} from './list-errors.js';
import {
  represent,
  representAll,
  type ListCollectionRepresentation,
  type ListRepresentation,
} from './list-representation.js';
import { lockTaskTree } from '../tasks/tasks.store.js';
import * as store from './lists.store.js';
import type { ListChanges, ListRow } from './lists.store.js';

type Schemas = components['schemas'];

export interface ListPolicy {
  /** REQUIRE_IF_MATCH: update and delete without `If-Match` are refused (428), as for tasks. */
  readonly requireIfMatch: boolean;
  /** The `lists` quota (the default list included); undefined: off. */
  readonly quotas: Pick<QuotaConfig, 'listsPerUser'>;
}

export type ListService = ReturnType<typeof createListService>;

/** An update's result: the list as it now is, and whether the patch asked for any change (what the audit trail records). */
export interface WrittenList {
  readonly row: ListRow;
  readonly changed: boolean;
}

/** The representation, and whether the client's copy is current (its `If-None-Match` names it). */
type Checked<T> = T & { readonly current: boolean };

function isCurrent(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch !== undefined && ifNoneMatchFails(entityTagCondition('If-None-Match', ifNoneMatch), etag);
}

/** The user's list, or ListNotFoundError. */
function requireList(id: number, row: ListRow | undefined): ListRow {
  if (row === undefined) throw new ListNotFoundError(id);
  return row;
}

/** A unique violation of the name index is the user's other list of that name: a 409, never a 500. */
async function refusingTakenName<T>(name: string | undefined, write: PromiseLike<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    const { code, constraint } = error as { code?: unknown; constraint?: unknown };
    if (name !== undefined && code === '23505' && constraint === store.LIST_NAME_INDEX)
      throw new ListNameTakenError(name);
    throw error;
  }
}

/** The rules of lists: names, the default list, the quota, preconditions. Knows nothing of HTTP. */
export function createListService(db: Knex, policy: ListPolicy) {
  /**
   * The write's `If-Match`, checked against the list as it is (read under the write's lock): a
   * missing one is refused only when the policy requires one.
   */
  const assertIfMatch = (ifMatch: string | undefined): ((row: ListRow) => ListRow) => {
    if (ifMatch === undefined) {
      if (policy.requireIfMatch) throw new ListPreconditionRequiredError();
      return (row) => row;
    }
    const condition = entityTagCondition('If-Match', ifMatch);
    return (row) => {
      if (!ifMatchHolds(condition, represent(row).etag)) throw new ListPreconditionFailedError(row.id);
      return row;
    };
  };

  return {
    /** Every list (the default one made first when missing), unless the client's copy is current. */
    async list(userId: string, ifNoneMatch: string | undefined): Promise<Checked<ListCollectionRepresentation>> {
      await store.ensureDefaultList(db, userId);
      const representation = representAll(await store.findLists(db, userId));
      return { ...representation, current: isCurrent(ifNoneMatch, representation.etag) };
    },

    async getUnlessCurrent(
      userId: string,
      id: number,
      ifNoneMatch: string | undefined,
    ): Promise<Checked<ListRepresentation>> {
      const representation = represent(requireList(id, await store.findList(db, userId, id)));
      return { ...representation, current: isCurrent(ifNoneMatch, representation.etag) };
    },

    /**
     * Creates the list, last; one of the user's creates at a time, so that the count the quota
     * compares is exact. The default list is made first, so that it is counted and a list can
     * never take its name before it exists.
     */
    create(userId: string, input: Schemas['ListCreate']): Promise<ListRow> {
      const name = input.name.trim();
      return db.transaction(async (trx) => {
        await store.lockListCreation(trx, userId);
        await store.ensureDefaultList(trx, userId);
        const limit = policy.quotas.listsPerUser;
        if (limit !== undefined) {
          const used = await store.countLists(trx, userId);
          if (used >= limit) throw quotaExceeded({ name: 'lists', limit, used });
        }
        return refusingTakenName(
          name,
          store.insertList(trx, userId, { name, color: input.color?.toLowerCase() ?? null }),
        );
      });
    },

    async update(
      userId: string,
      id: number,
      patch: Schemas['ListPatch'],
      ifMatch: string | undefined,
    ): Promise<WrittenList> {
      const checked = assertIfMatch(ifMatch);
      const changes: ListChanges = {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...('color' in patch ? { color: patch.color?.toLowerCase() ?? null } : {}),
      };
      // An empty merge patch changes nothing, so its precondition needs no lock.
      if (Object.keys(changes).length === 0) {
        return { row: checked(requireList(id, await store.findList(db, userId, id))), changed: false };
      }
      const write = async (trx: Knex) => ({
        row: requireList(id, await refusingTakenName(changes.name, store.updateList(trx, userId, id, changes))),
        changed: true,
      });
      if (ifMatch === undefined) return write(db);
      // The precondition is checked on the list as it is under the write's row lock.
      return db.transaction(async (trx) => {
        checked(requireList(id, await store.findList(trx, userId, id, { lock: 'no key update' })));
        return write(trx);
      });
    },

    /**
     * Deletes the list and moves its tasks to the trash, as one transaction. It changes the user's
     * trees, so it holds their tree lock (taken first, as every tree change does); then it locks the
     * list's row: a task being placed in the list meanwhile waits for the row (its foreign key),
     * then finds no list (a 409 at its list_id), so none joins the list between the trashing and
     * the delete.
     */
    async remove(userId: string, id: number, ifMatch: string | undefined): Promise<void> {
      const checked = assertIfMatch(ifMatch);
      await db.transaction(async (trx) => {
        await lockTaskTree(trx, userId);
        const list = checked(requireList(id, await store.findList(trx, userId, id, { lock: 'update' })));
        if (list.is_default) throw new DefaultListDeletionError(id);
        await store.trashTasksOfList(trx, userId, id);
        await store.deleteList(trx, userId, id);
      });
    },
  };
}
