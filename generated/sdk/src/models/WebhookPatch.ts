/* tslint:disable */
/* eslint-disable */
/**
 * Todo Tasks API
 * The backend a todo app\'s frontend calls to manage the signed-in user\'s tasks.  **Authentication.** Every `/api` operation needs `Authorization: Bearer <JWT>`. The token\'s `sub` claim is the user id; it must equal the `{user_id}` in the path (otherwise 403). Another user\'s task is indistinguishable from a missing one (404).  **Errors.** Every error is an RFC 9457 `application/problem+json` document. Validation failures list each problem in `errors`, with the `location` (body, query, path or header) and a JSON `pointer` to the offending value inside it. So are the answers to requests refused before any operation is reached, which no operation lists: 400 for a request that is not well-formed HTTP/1.1 (a control character in a header, a duplicate `Content-Length`), 408 when the request is not received in full within the server\'s request timeout, 413 for a `Content-Length` beyond any number the server reads, 414 for a request line and 431 for a header section beyond 16 KiB; these close the connection.  **Database unavailable, server overloaded.** Every operation that needs the database answers 503 with `Retry-After` while it cannot be reached or used (down, refusing connections, every pooled connection busy, a statement timed out or cancelled): retry after that many seconds. So does every `/api` operation, at once and before reading the request, while the server is overloaded (more requests arriving than it answers, so that they would wait longer than it allows); the probes and documents never do.  **Request ids.** A safe `X-Request-Id` (1–128 characters of `A-Z a-z 0-9 . _ : -`) is kept when it comes from a proxy the server trusts (`TRUST_PROXY`); otherwise the server makes its own, so that no client chooses the id its requests are logged under. It is echoed in the `X-Request-Id` response header and in error bodies as `request_id`.  **Headers on every response.** Whatever the operation and the status, every response carries `X-Request-Id`. When the request\'s `Origin` is one of the server\'s `CORS_ORIGINS`, every response also carries `Access-Control-Allow-Origin` with that origin, so that a browser app there may read it, and `Access-Control-Expose-Headers` naming the headers it may read besides the safelisted ones (`ETag`, `Location`, `RateLimit`, `RateLimit-Policy`, `Retry-After`, `X-Request-Id`); any other origin gets no CORS header. With `CORS_ORIGINS` set, every response says `Vary: Origin`. OpenAPI 3.0 cannot declare a header for every response, so these are described here, once, and on no response. The headers that depend on the response (`ETag`, `Location`, `RateLimit`, `RateLimit-Policy`, `Retry-After`, `WWW-Authenticate`) are declared on each response that carries them.  **Concurrency.** Every task and list response carries a strong `ETag`. Send it back in `If-Match` on PUT, PATCH, DELETE, complete and move to write only if nobody changed the task (or list) since you read it (otherwise 412, and nothing is written); `If-None-Match` on GET answers 304 while it is unchanged (for `listLists` and `listChanges`, while the answer is). A server run with `REQUIRE_IF_MATCH=true` refuses those writes without `If-Match` (428). Bulk update, complete and delete actions take the same condition in `if_match`.  **Safe retries.** `Idempotency-Key` (the IETF httpapi draft) on create, complete and bulk: the first response to a key is kept for 24 hours, and a retry with the same key and the same request gets that response again (same status, body and headers) without writing anything. The same key with another request is a 422; a retry while the first is still running is a 409. Keys belong to the user who sent them. Only successful responses are kept: after an error the key is free and a retry runs again. What is kept is bounded: a bulk answer is kept compact (each action\'s status with its task\'s id or its problem), so its replay shows each task as it is at the replay, which is the first answer\'s task unless the task changed since (then its current state and `etag`; a task deleted since leaves its result with the status only); every other replay is the first response byte for byte. A keyed request whose answer would be larger than the server keeps (`IDEMPOTENCY_MAX_ANSWER_BYTES`, 64 KiB by default) is refused with 413 before anything is written, and each user holds at most a quota of live keys (see Quotas).  **Rate limits.** Requests to `/api` are counted per client address before authentication and per user after it, over a window. Responses carry the IETF `RateLimit-Policy` and `RateLimit` headers; beyond the limit the answer is 429 with `Retry-After`. In the per-user limit a search (`listTasks` with `q`) counts as 10 requests and a bulk request as one per action (at most the whole limit). Each user may also have only a few requests running at once (4 per server process by default): beyond that the answer is an immediate 429 with `Retry-After: 1` and the policy `\"in-flight\"`; and only one search or bulk request at a time in the whole server, whichever process runs it (else policy `\"in-flight-costly\"`), so that one user\'s most expensive work cannot take the server\'s cores from everyone else. A refused request does no work: retry after `Retry-After` seconds.  **Caching.** Every `/api` response is `Cache-Control: no-store` (the event stream\'s also `no-cache, no-transform`).  **Timestamps** are RFC 3339 in UTC with milliseconds, e.g. `2026-11-21T09:30:00.000Z`.  **Unknown query parameters** are rejected with 400 on every operation, so that a typo in a filter is never silently ignored.  **This document** is served by the API itself at `/openapi.json` and `/openapi.yaml`, and rendered at `/docs`.  # Quotas  Each user\'s holdings are bounded, so that one account cannot fill the service\'s disk. A write that would go past a quota is refused with 409, `type` `/docs#section/Quotas` and a `quota` member naming the quota, its limit and the user\'s current use; nothing of the request is written (a bulk request counts every create in it). Each server sets its limits; `off` removes one. The defaults:  | quota | counts | default | |---|---|---| | `tasks` | tasks held, open and completed | 10,000 | | `stored_bytes` | UTF-8 bytes of every task\'s title, description and tags | 52,428,800 (50 MiB) | | `idempotency_keys` | `Idempotency-Key` answers kept (each for 24 hours) | 1,000 | | `lists` | lists held | 100 | | `tasks_per_list` | tasks in one list, not in the trash | 5,000 | | `subtasks_per_parent` | direct subtasks of one task | 100 | | `webhooks` | webhooks held, enabled or not | 10 |  Tasks in the trash still count against `tasks` and `stored_bytes` until they are purged: deleting a task (or clearing completed ones) moves it to the trash, and purging it or emptying the trash frees room at once; the trash purges each item by itself `TRASH_RETENTION_DAYS` (30 by default) after its deletion. Deleting a task frees room in `tasks_per_list` and `subtasks_per_parent` at once (`lists` is freed by deleting a list). An `idempotency_keys` refusal carries `Retry-After`: the seconds until the oldest kept answer expires (an expired key no longer counts). It refuses only a new key: a retry of a kept one is still replayed. 
 *
 * The version of the OpenAPI document: 0.1.0
 * 
 *
 * NOTE: This class is auto generated by OpenAPI Generator (https://openapi-generator.tech).
 * https://openapi-generator.tech
 * Do not edit the class manually.
 */

import { mapValues } from '../runtime.js';
import {
    EventType,
    EventTypeFromJSON,
    EventTypeFromJSONTyped,
    EventTypeToJSON,
} from './index.js';

/**
 * The fields to change (JSON Merge Patch); absent fields stay as they are, `"description": null`
 * removes the description. `url`, `event_types` and `enabled` cannot be null. An empty object
 * changes nothing.
 * @export
 * @interface WebhookPatch
 */
export interface WebhookPatch {
    /**
     * Where the deliveries are POSTed: an `https://` URL whose host has a public address. Refused with
     * 400 at `/url`: another scheme (a server run with `WEBHOOK_ALLOW_HTTP=true` also takes `http://`),
     * a user name or password in the URL, and a host that is a loopback, private, link-local or
     * otherwise non-public IP address or a `localhost` name (a server run with
     * `WEBHOOK_ALLOW_PRIVATE=true` takes those). The address a name resolves to is checked again at
     * each delivery, when connecting: a name that resolves to a non-public address is never
     * connected to (the delivery fails with `address_not_allowed`). No white space, control
     * characters, byte order marks (U+FEFF) or unpaired UTF-16 surrogates.
     * @type {string}
     * @memberof WebhookPatch
     */
    url?: string | undefined;
    /**
     * The types of events delivered to the webhook: at least one, each once. The user's events of
     * other types are not delivered to it.
     * @type {Array<EventType>}
     * @memberof WebhookPatch
     */
    event_types?: Array<EventType> | undefined;
    /**
     * What the webhook is for, up to 500 characters, or null. No NUL characters, byte order marks (U+FEFF) or unpaired UTF-16 surrogates.
     * @type {string}
     * @memberof WebhookPatch
     */
    description?: string | null | undefined;
    /**
     * false disables the webhook (its pending deliveries fail with `webhook_disabled`); true
     * enables it again, for the events recorded from then on (a delivery that failed meanwhile
     * can be sent again with `retryWebhookDelivery`).
     * @type {boolean}
     * @memberof WebhookPatch
     */
    enabled?: boolean | undefined;
    /**
     * true replaces the secret with a new one, shown in this answer only: deliveries are signed
     * with it from then on, attempts already under way included. false changes nothing.
     * @type {boolean}
     * @memberof WebhookPatch
     */
    rotate_secret?: boolean | undefined;
}

export function WebhookPatchFromJSON(json: any): WebhookPatch {
    return WebhookPatchFromJSONTyped(json, false);
}

export function WebhookPatchFromJSONTyped(json: any, ignoreDiscriminator: boolean): WebhookPatch {
    if ((json === undefined) || (json === null)) {
        return json;
    }
    return {
        
        'url': json['url'] === undefined ? undefined : json['url'],
        'event_types': json['event_types'] === undefined ? undefined : ((json['event_types'] as Array<any>).map(EventTypeFromJSON)),
        'description': json['description'] === undefined ? undefined : json['description'],
        'enabled': json['enabled'] === undefined ? undefined : json['enabled'],
        'rotate_secret': json['rotate_secret'] === undefined ? undefined : json['rotate_secret'],
    };
}

export function WebhookPatchToJSON(value?: WebhookPatch | null): any {
    if (value === undefined) {
        return undefined;
    }
    if (value === null) {
        return null;
    }
    return {
        
        'url': value.url,
        'event_types': value.event_types === undefined ? undefined : ((value.event_types as Array<any>).map(EventTypeToJSON)),
        'description': value.description,
        'enabled': value.enabled,
        'rotate_secret': value.rotate_secret,
    };
}


