import type { Knex } from 'knex';
import type { components } from '../../generated/api.js';
import type { QuotaConfig } from '../config.js';
import { invalidRequest, quotaExceeded } from '../contract/domain-error.js';
import { entityTagCondition, ifMatchHolds, ifNoneMatchFails } from '../contract/entity-tags.js';
import {
  WebhookNotFoundError,
  WebhookPreconditionFailedError,
  WebhookPreconditionRequiredError,
} from './webhook-errors.js';
import {
  represent,
  representAll,
  type WebhookCollectionRepresentation,
  type WebhookRepresentation,
  type WebhookRow,
} from './webhook-representation.js';
import { newWebhookSecret } from './webhook-secret.js';
import { refusedUrl, type UrlPolicy } from './webhook-url.js';
import * as store from './webhooks.store.js';

type Schemas = components['schemas'];

export interface WebhookPolicy {
  /** REQUIRE_IF_MATCH: update and delete without `If-Match` are refused (428), as for lists. */
  readonly requireIfMatch: boolean;
  /** The `webhooks` quota; undefined: off. */
  readonly quotas: Pick<QuotaConfig, 'webhooksPerUser'>;
  /** Which URLs besides public https:// ones are accepted (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOW_PRIVATE). */
  readonly urls: UrlPolicy;
}

export type WebhookService = ReturnType<typeof createWebhookService>;

/** A write's result: the webhook as it now is, the secret when the write made one, and whether anything changed. */
export interface WrittenWebhook {
  readonly row: WebhookRow;
  readonly secret?: string;
  readonly changed: boolean;
}

/** The representation, and whether the client's copy is current (its `If-None-Match` names it). */
type Checked<T> = T & { readonly current: boolean };

function isCurrent(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch !== undefined && ifNoneMatchFails(entityTagCondition('If-None-Match', ifNoneMatch), etag);
}

function requireWebhook(id: number, row: WebhookRow | undefined): WebhookRow {
  if (row === undefined) throw new WebhookNotFoundError(id);
  return row;
}

/** The rules of webhooks: where they may point, the quota, preconditions, disabling. Knows nothing of HTTP. */
export function createWebhookService(db: Knex, policy: WebhookPolicy) {
  /** A 400 at `/url` for a URL the server would not deliver to. */
  const assertUrl = (url: string | undefined): void => {
    const refusal = url === undefined ? undefined : refusedUrl(url, policy.urls);
    if (refusal !== undefined) throw invalidRequest([{ location: 'body', pointer: '/url', message: refusal }]);
  };

  /**
   * The webhook, locked until the write's transaction ends, once the write's preconditions hold: an
   * `If-Match` is checked against it as it is under the lock; a missing one is refused only when
   * the policy requires one.
   */
  const lockedForWrite = async (trx: Knex, userId: string, id: number, ifMatch: string | undefined) => {
    if (ifMatch === undefined && policy.requireIfMatch) throw new WebhookPreconditionRequiredError();
    const row = requireWebhook(id, await store.findWebhook(trx, userId, id, { lock: true }));
    if (ifMatch !== undefined && !ifMatchHolds(entityTagCondition('If-Match', ifMatch), represent(row).etag))
      throw new WebhookPreconditionFailedError(id);
    return row;
  };

  return {
    async list(userId: string, ifNoneMatch: string | undefined): Promise<Checked<WebhookCollectionRepresentation>> {
      const representation = representAll(await store.findWebhooks(db, userId));
      return { ...representation, current: isCurrent(ifNoneMatch, representation.etag) };
    },

    async getUnlessCurrent(
      userId: string,
      id: number,
      ifNoneMatch: string | undefined,
    ): Promise<Checked<WebhookRepresentation>> {
      const representation = represent(requireWebhook(id, await store.findWebhook(db, userId, id)));
      return { ...representation, current: isCurrent(ifNoneMatch, representation.etag) };
    },

    /** Creates the webhook with a new secret; one of the user's creates at a time, so that the quota's count is exact. */
    create(userId: string, input: Schemas['WebhookCreate']): Promise<WrittenWebhook> {
      assertUrl(input.url);
      const secret = newWebhookSecret();
      return db.transaction(async (trx) => {
        await store.lockWebhookCreation(trx, userId);
        const limit = policy.quotas.webhooksPerUser;
        if (limit !== undefined) {
          const used = await store.countWebhooks(trx, userId);
          if (used >= limit) throw quotaExceeded({ name: 'webhooks', limit, used });
        }
        const row = await store.insertWebhook(trx, userId, {
          url: input.url,
          event_types: input.event_types,
          description: input.description ?? null,
          secret,
        });
        return { row, secret, changed: true };
      });
    },

    /**
     * Applies the merge patch to the webhook as it is under its row lock. Disabling it fails its
     * pending deliveries in the same transaction; a rotation makes a new secret, returned once.
     */
    update(
      userId: string,
      id: number,
      patch: Schemas['WebhookPatch'],
      ifMatch: string | undefined,
    ): Promise<WrittenWebhook> {
      assertUrl(patch.url);
      return db.transaction(async (trx) => {
        const row = await lockedForWrite(trx, userId, id, ifMatch);
        const secret = patch.rotate_secret ? newWebhookSecret() : undefined;
        const changes: store.WebhookChanges = {
          ...(patch.url !== undefined && patch.url !== row.url ? { url: patch.url } : {}),
          ...(patch.event_types !== undefined && patch.event_types.join() !== row.event_types.join()
            ? { event_types: patch.event_types }
            : {}),
          ...('description' in patch && (patch.description ?? null) !== row.description
            ? { description: patch.description ?? null }
            : {}),
          ...(patch.enabled !== undefined && patch.enabled !== row.enabled
            ? { enabled: patch.enabled, disabled_reason: patch.enabled ? null : 'requested' }
            : {}),
          ...(secret !== undefined ? { secret } : {}),
        };
        if (Object.keys(changes).length === 0) return { row, changed: false };
        const written = await store.updateWebhook(trx, userId, id, changes);
        if (changes.enabled === false) await store.failPendingDeliveries(trx, userId, id);
        return { row: written, changed: true, ...(secret !== undefined ? { secret } : {}) };
      });
    },

    /** Deletes the webhook and its deliveries. */
    async remove(userId: string, id: number, ifMatch: string | undefined): Promise<void> {
      await db.transaction(async (trx) => {
        await lockedForWrite(trx, userId, id, ifMatch);
        await store.deleteWebhook(trx, userId, id);
      });
    },
  };
}
