import type { components } from '../../generated/api.js';
import { strongEntityTag } from '../contract/entity-tags.js';
import type { ListRow } from './lists.store.js';

export type List = components['schemas']['List'];
export type ListCollection = components['schemas']['ListCollection'];

export function toList(row: ListRow): List {
  return {
    id: row.id,
    user_id: row.user_id,
    name: row.name,
    color: row.color,
    position: row.position,
    is_default: row.is_default,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** A list as the client reads it, with its strong ETag (a hash of it, as a task's: see task-representation.ts). */
export interface ListRepresentation {
  readonly list: List;
  readonly etag: string;
}

export function represent(row: ListRow): ListRepresentation {
  const list = toList(row);
  return { list, etag: strongEntityTag(list) };
}

/** Every list of the user, with an ETag over the whole answer: it changes whenever any list does. */
export interface ListCollectionRepresentation {
  readonly collection: ListCollection;
  readonly etag: string;
}

export function representAll(rows: readonly ListRow[]): ListCollectionRepresentation {
  const collection = { items: rows.map(toList) };
  return { collection, etag: strongEntityTag(collection) };
}
