import type { components } from '../../generated/api.js';
import type { ListRow } from './lists.store.js';

export type List = components['schemas']['List'];

/** A list as the client reads it, keys in the spec's order. */
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
