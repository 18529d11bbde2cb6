import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import { DomainError } from '../contract/domain-error.js';
import { entityTagCondition, ifNoneMatchFails, strongEntityTag } from '../contract/entity-tags.js';
import { toList } from '../lists/list-representation.js';
import { toTask } from '../tasks/task-representation.js';
import { decodeChangeToken, encodeChangeToken, InvalidChangeTokenError, type ChangeToken } from './change-token.js';
import { readFeed, type FeedEntry } from './changes.store.js';

type ChangePage = components['schemas']['ChangePage'];
type Change = components['schemas']['Change'];

export interface ChangesRequest {
  /** A `next_token` of an earlier answer; undefined: a snapshot. */
  readonly since: string | undefined;
  readonly limit: number;
  readonly ifNoneMatch: string | undefined;
}

export interface ChangesAnswer {
  readonly page: ChangePage;
  readonly etag: string;
  /** The client's copy of this answer is current (its `If-None-Match`): a 304. */
  readonly current: boolean;
}

/** The token is behind the history kept: deletions it has not seen may be forgotten. */
export class ChangesGoneError extends DomainError {
  override name = 'ChangesGoneError';

  constructor(readonly historyDays: number) {
    super('gone', `This token is older than the history kept (${historyDays} days); read again without since.`);
  }
}

export type ChangesService = ReturnType<typeof createChangesService>;

export function createChangesService(db: Knex, { changesHistoryDays }: { changesHistoryDays: number }) {
  return {
    async list(userId: string, { since, limit, ifNoneMatch }: ChangesRequest): Promise<ChangesAnswer> {
      const token = since === undefined ? undefined : decodeChangeToken(userId, since);
      // Behind the user's change barrier, one statement: the changes and the clock from one
      // snapshot (changes.store.ts says why).
      const { clock, entries } = await readFeed(db, userId, { since: token?.seq, limit: limit + 1 });
      if (token) checkAgainstClock(token, clock, changesHistoryDays);

      const page = entries.slice(0, limit);
      const hasMore = entries.length > limit;
      const last = page.at(-1)?.seq ?? 0;
      // With more to come, the next page starts after this one's last change; otherwise the reader
      // has caught up with the clock (every number up to it is committed or never will be), so an
      // empty answer still moves the token to now. A snapshot's pages, and those that continue it,
      // carry the clock the snapshot was read at (change-token.ts).
      const snapshotClock = token === undefined ? clock.seq : token.snapshotClock;
      const next: ChangeToken = hasMore ? { seq: last, snapshotClock } : { seq: Math.max(last, clock.seq) };
      const body: ChangePage = {
        changes: page.map(toChange),
        next_token: encodeChangeToken(userId, next),
        has_more: hasMore,
      };
      const etag = strongEntityTag(body);
      const current =
        ifNoneMatch !== undefined && ifNoneMatchFails(entityTagCondition('If-None-Match', ifNoneMatch), etag);
      return { page: body, etag, current };
    },
  };
}

/**
 * A token ahead of the clock was not given for this user's history (another database, a restore):
 * 400. One behind the pruned history may have missed a deletion: 410, unless it continues a
 * snapshot read after that history (the copy never held what was deleted before it).
 */
function checkAgainstClock(token: ChangeToken, clock: { seq: number; horizon: number }, historyDays: number): void {
  const seen = token.snapshotClock ?? token.seq;
  if (seen > clock.seq) throw new InvalidChangeTokenError('is ahead of your history of changes');
  if (seen < clock.horizon) throw new ChangesGoneError(historyDays);
}

function toChange(entry: FeedEntry): Change {
  const { entity, id, change } = entry;
  if (entry.change !== 'upserted') return { entity, id, change };
  return entry.entity === 'task'
    ? { entity, id, change, task: toTask(entry.row) }
    : { entity, id, change, list: toList(entry.row) };
}
