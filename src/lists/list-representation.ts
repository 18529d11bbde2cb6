import type { components } from '../../generated/api.js';
import { strongEntityTag } from '../contract/entity-tags.js';
import type { ListRow } from './lists.store.js';

export type List = components['schemas']['List'];

/** The list as the client reads it, keys in the spec's order (its ETag hashes this). */
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

/** A list as the client reads it, with its strong ETag (a hash of the representation, as a task's). */
export interface ListRepresentation {
  readonly list: List;
  readonly etag: string;
}

export function representList(row: ListRow): ListRepresentation {
  const list = toList(row);
  return { list, etag: strongEntityTag(list) };
}
