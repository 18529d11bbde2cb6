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


import * as runtime from '../runtime.js';
import {
    Problem,
    ProblemFromJSON,
    ProblemToJSON,
    Webhook,
    WebhookFromJSON,
    WebhookToJSON,
    WebhookCollection,
    WebhookCollectionFromJSON,
    WebhookCollectionToJSON,
    WebhookCreate,
    WebhookCreateFromJSON,
    WebhookCreateToJSON,
    WebhookDelivery,
    WebhookDeliveryFromJSON,
    WebhookDeliveryToJSON,
    WebhookDeliveryPage,
    WebhookDeliveryPageFromJSON,
    WebhookDeliveryPageToJSON,
    WebhookPatch,
    WebhookPatchFromJSON,
    WebhookPatchToJSON,
} from '../models/index.js';

export interface CreateWebhookRequest {
    userId: string;
    webhookCreate: WebhookCreate;
    idempotencyKey?: string | undefined;
}

export interface DeleteWebhookRequest {
    userId: string;
    webhookId: number;
    ifMatch?: string | undefined;
}

export interface GetWebhookRequest {
    userId: string;
    webhookId: number;
    ifNoneMatch?: string | undefined;
}

export interface ListWebhookDeliveriesRequest {
    userId: string;
    webhookId: number;
    limit?: number | undefined;
    cursor?: string | undefined;
}

export interface ListWebhooksRequest {
    userId: string;
    ifNoneMatch?: string | undefined;
}

export interface RetryWebhookDeliveryRequest {
    userId: string;
    webhookId: number;
    deliveryId: number;
}

export interface UpdateWebhookRequest {
    userId: string;
    webhookId: number;
    webhookPatch: WebhookPatch;
    ifMatch?: string | undefined;
}

/**
 * 
 */
export class WebhooksApi extends runtime.BaseAPI {

    /**
     * Creates an enabled webhook: each event of the user of one of `event_types` recorded from now on is delivered to `url` (see the Webhooks section). The answer carries the signing `secret`, the only time it is shown (and in a replay of this request with its `Idempotency-Key`): keep it. 400 at `/url` for a URL the server does not deliver to (see `WebhookUrl`); 409 when the user holds as many webhooks as the `webhooks` quota allows. 
     * Create a webhook
     */
    async createWebhookRaw(requestParameters: CreateWebhookRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<Webhook>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling createWebhook.');
        }

        if (requestParameters.webhookCreate === null || requestParameters.webhookCreate === undefined) {
            throw new runtime.RequiredError('webhookCreate','Required parameter requestParameters.webhookCreate was null or undefined when calling createWebhook.');
        }

        const queryParameters: runtime.HTTPQuery = {};

        const headerParameters: runtime.HTTPHeaders = {};

        headerParameters['Content-Type'] = 'application/json';

        if (requestParameters.idempotencyKey !== undefined && requestParameters.idempotencyKey !== null) {
            headerParameters['Idempotency-Key'] = String(requestParameters.idempotencyKey);
        }

        if (this.configuration && this.configuration.accessToken) {
            // Awaited: the token may come from an async provider that refreshes it.
            const tokenString = await this.configuration.accessToken("bearerAuth", []);

            if (tokenString) {
                headerParameters["Authorization"] = `Bearer ${tokenString}`;
            }
        }
        const response = await this.request({
            path: `/api/{user_id}/webhooks`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))),
            method: 'POST',
            headers: headerParameters,
            query: queryParameters,
            body: WebhookCreateToJSON(requestParameters.webhookCreate),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => WebhookFromJSON(jsonValue));
    }

    /**
     * Creates an enabled webhook: each event of the user of one of `event_types` recorded from now on is delivered to `url` (see the Webhooks section). The answer carries the signing `secret`, the only time it is shown (and in a replay of this request with its `Idempotency-Key`): keep it. 400 at `/url` for a URL the server does not deliver to (see `WebhookUrl`); 409 when the user holds as many webhooks as the `webhooks` quota allows. 
     * Create a webhook
     */
    async createWebhook(requestParameters: CreateWebhookRequest, options?: runtime.RequestOptions): Promise<Webhook> {
        const response = await this.createWebhookRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Deletes the webhook with its deliveries; no attempt starts after this (one under way may still arrive).
     * Delete a webhook
     */
    async deleteWebhookRaw(requestParameters: DeleteWebhookRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<void>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling deleteWebhook.');
        }

        if (requestParameters.webhookId === null || requestParameters.webhookId === undefined) {
            throw new runtime.RequiredError('webhookId','Required parameter requestParameters.webhookId was null or undefined when calling deleteWebhook.');
        }

        const queryParameters: runtime.HTTPQuery = {};

        const headerParameters: runtime.HTTPHeaders = {};

        if (requestParameters.ifMatch !== undefined && requestParameters.ifMatch !== null) {
            headerParameters['If-Match'] = String(requestParameters.ifMatch);
        }

        if (this.configuration && this.configuration.accessToken) {
            // Awaited: the token may come from an async provider that refreshes it.
            const tokenString = await this.configuration.accessToken("bearerAuth", []);

            if (tokenString) {
                headerParameters["Authorization"] = `Bearer ${tokenString}`;
            }
        }
        const response = await this.request({
            path: `/api/{user_id}/webhooks/{webhook_id}`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"webhook_id"}}`, encodeURIComponent(String(requestParameters.webhookId))),
            method: 'DELETE',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.VoidApiResponse(response);
    }

    /**
     * Deletes the webhook with its deliveries; no attempt starts after this (one under way may still arrive).
     * Delete a webhook
     */
    async deleteWebhook(requestParameters: DeleteWebhookRequest, options?: runtime.RequestOptions): Promise<void> {
        await this.deleteWebhookRaw(requestParameters, options);
    }

    /**
     * Returns one of the user\'s webhooks, without its secret.
     * Get a webhook
     */
    async getWebhookRaw(requestParameters: GetWebhookRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<Webhook>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling getWebhook.');
        }

        if (requestParameters.webhookId === null || requestParameters.webhookId === undefined) {
            throw new runtime.RequiredError('webhookId','Required parameter requestParameters.webhookId was null or undefined when calling getWebhook.');
        }

        const queryParameters: runtime.HTTPQuery = {};

        const headerParameters: runtime.HTTPHeaders = {};

        if (requestParameters.ifNoneMatch !== undefined && requestParameters.ifNoneMatch !== null) {
            headerParameters['If-None-Match'] = String(requestParameters.ifNoneMatch);
        }

        if (this.configuration && this.configuration.accessToken) {
            // Awaited: the token may come from an async provider that refreshes it.
            const tokenString = await this.configuration.accessToken("bearerAuth", []);

            if (tokenString) {
                headerParameters["Authorization"] = `Bearer ${tokenString}`;
            }
        }
        const response = await this.request({
            path: `/api/{user_id}/webhooks/{webhook_id}`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"webhook_id"}}`, encodeURIComponent(String(requestParameters.webhookId))),
            method: 'GET',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => WebhookFromJSON(jsonValue));
    }

    /**
     * Returns one of the user\'s webhooks, without its secret.
     * Get a webhook
     */
    async getWebhook(requestParameters: GetWebhookRequest, options?: runtime.RequestOptions): Promise<Webhook> {
        const response = await this.getWebhookRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * The webhook\'s deliveries, the newest first: each event delivered (or being delivered) to it, with its status, its attempts and what the last one got. Deliveries are kept as long as their event (`CHANGES_HISTORY_DAYS`, 30 days by default).  Pages are cut by an opaque cursor, as `listTasks` cuts them: pass the previous page\'s `next_cursor` as `cursor`; `next_cursor` is null on the last page. 
     * List a webhook\'s deliveries
     */
    async listWebhookDeliveriesRaw(requestParameters: ListWebhookDeliveriesRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<WebhookDeliveryPage>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling listWebhookDeliveries.');
        }

        if (requestParameters.webhookId === null || requestParameters.webhookId === undefined) {
            throw new runtime.RequiredError('webhookId','Required parameter requestParameters.webhookId was null or undefined when calling listWebhookDeliveries.');
        }

        const queryParameters: runtime.HTTPQuery = {};

        if (requestParameters.limit !== undefined) {
            queryParameters['limit'] = requestParameters.limit;
        }

        if (requestParameters.cursor !== undefined) {
            queryParameters['cursor'] = requestParameters.cursor;
        }

        const headerParameters: runtime.HTTPHeaders = {};

        if (this.configuration && this.configuration.accessToken) {
            // Awaited: the token may come from an async provider that refreshes it.
            const tokenString = await this.configuration.accessToken("bearerAuth", []);

            if (tokenString) {
                headerParameters["Authorization"] = `Bearer ${tokenString}`;
            }
        }
        const response = await this.request({
            path: `/api/{user_id}/webhooks/{webhook_id}/deliveries`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"webhook_id"}}`, encodeURIComponent(String(requestParameters.webhookId))),
            method: 'GET',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => WebhookDeliveryPageFromJSON(jsonValue));
    }

    /**
     * The webhook\'s deliveries, the newest first: each event delivered (or being delivered) to it, with its status, its attempts and what the last one got. Deliveries are kept as long as their event (`CHANGES_HISTORY_DAYS`, 30 days by default).  Pages are cut by an opaque cursor, as `listTasks` cuts them: pass the previous page\'s `next_cursor` as `cursor`; `next_cursor` is null on the last page. 
     * List a webhook\'s deliveries
     */
    async listWebhookDeliveries(requestParameters: ListWebhookDeliveriesRequest, options?: runtime.RequestOptions): Promise<WebhookDeliveryPage> {
        const response = await this.listWebhookDeliveriesRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Every webhook of the user, the oldest first, without their secrets. The answer\'s `ETag` changes whenever any webhook does: with it in `If-None-Match`, the answer is 304 while none changed. 
     * List the webhooks
     */
    async listWebhooksRaw(requestParameters: ListWebhooksRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<WebhookCollection>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling listWebhooks.');
        }

        const queryParameters: runtime.HTTPQuery = {};

        const headerParameters: runtime.HTTPHeaders = {};

        if (requestParameters.ifNoneMatch !== undefined && requestParameters.ifNoneMatch !== null) {
            headerParameters['If-None-Match'] = String(requestParameters.ifNoneMatch);
        }

        if (this.configuration && this.configuration.accessToken) {
            // Awaited: the token may come from an async provider that refreshes it.
            const tokenString = await this.configuration.accessToken("bearerAuth", []);

            if (tokenString) {
                headerParameters["Authorization"] = `Bearer ${tokenString}`;
            }
        }
        const response = await this.request({
            path: `/api/{user_id}/webhooks`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))),
            method: 'GET',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => WebhookCollectionFromJSON(jsonValue));
    }

    /**
     * Every webhook of the user, the oldest first, without their secrets. The answer\'s `ETag` changes whenever any webhook does: with it in `If-None-Match`, the answer is 304 while none changed. 
     * List the webhooks
     */
    async listWebhooks(requestParameters: ListWebhooksRequest, options?: runtime.RequestOptions): Promise<WebhookCollection> {
        const response = await this.listWebhooksRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Sends a delivery that is over (failed, or succeeded) again, now: one more attempt, with the same `webhook-id`, whose outcome is final (no automatic retries follow). Takes no body. The answer is the delivery as it now is: pending, its next attempt due now. 409 while the delivery is still pending, or when the webhook is disabled (enable it first). 
     * Send a delivery again
     */
    async retryWebhookDeliveryRaw(requestParameters: RetryWebhookDeliveryRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<WebhookDelivery>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling retryWebhookDelivery.');
        }

        if (requestParameters.webhookId === null || requestParameters.webhookId === undefined) {
            throw new runtime.RequiredError('webhookId','Required parameter requestParameters.webhookId was null or undefined when calling retryWebhookDelivery.');
        }

        if (requestParameters.deliveryId === null || requestParameters.deliveryId === undefined) {
            throw new runtime.RequiredError('deliveryId','Required parameter requestParameters.deliveryId was null or undefined when calling retryWebhookDelivery.');
        }

        const queryParameters: runtime.HTTPQuery = {};

        const headerParameters: runtime.HTTPHeaders = {};

        if (this.configuration && this.configuration.accessToken) {
            // Awaited: the token may come from an async provider that refreshes it.
            const tokenString = await this.configuration.accessToken("bearerAuth", []);

            if (tokenString) {
                headerParameters["Authorization"] = `Bearer ${tokenString}`;
            }
        }
        const response = await this.request({
            path: `/api/{user_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/retry`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"webhook_id"}}`, encodeURIComponent(String(requestParameters.webhookId))).replace(`{${"delivery_id"}}`, encodeURIComponent(String(requestParameters.deliveryId))),
            method: 'POST',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => WebhookDeliveryFromJSON(jsonValue));
    }

    /**
     * Sends a delivery that is over (failed, or succeeded) again, now: one more attempt, with the same `webhook-id`, whose outcome is final (no automatic retries follow). Takes no body. The answer is the delivery as it now is: pending, its next attempt due now. 409 while the delivery is still pending, or when the webhook is disabled (enable it first). 
     * Send a delivery again
     */
    async retryWebhookDelivery(requestParameters: RetryWebhookDeliveryRequest, options?: runtime.RequestOptions): Promise<WebhookDelivery> {
        const response = await this.retryWebhookDeliveryRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Changes only the fields present in the body (JSON Merge Patch, RFC 7396); an empty object changes nothing. `application/json` is accepted as a synonym of `application/merge-patch+json`. A new `url` or `event_types` applies to the attempts and events from then on. `enabled: false` disables the webhook and fails its pending deliveries (`webhook_disabled`); `enabled: true` enables it again. `rotate_secret: true` gives it a new secret, shown in this answer only. 
     * Update a webhook
     */
    async updateWebhookRaw(requestParameters: UpdateWebhookRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<Webhook>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling updateWebhook.');
        }

        if (requestParameters.webhookId === null || requestParameters.webhookId === undefined) {
            throw new runtime.RequiredError('webhookId','Required parameter requestParameters.webhookId was null or undefined when calling updateWebhook.');
        }

        if (requestParameters.webhookPatch === null || requestParameters.webhookPatch === undefined) {
            throw new runtime.RequiredError('webhookPatch','Required parameter requestParameters.webhookPatch was null or undefined when calling updateWebhook.');
        }

        const queryParameters: runtime.HTTPQuery = {};

        const headerParameters: runtime.HTTPHeaders = {};

        headerParameters['Content-Type'] = 'application/merge-patch+json';

        if (requestParameters.ifMatch !== undefined && requestParameters.ifMatch !== null) {
            headerParameters['If-Match'] = String(requestParameters.ifMatch);
        }

        if (this.configuration && this.configuration.accessToken) {
            // Awaited: the token may come from an async provider that refreshes it.
            const tokenString = await this.configuration.accessToken("bearerAuth", []);

            if (tokenString) {
                headerParameters["Authorization"] = `Bearer ${tokenString}`;
            }
        }
        const response = await this.request({
            path: `/api/{user_id}/webhooks/{webhook_id}`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"webhook_id"}}`, encodeURIComponent(String(requestParameters.webhookId))),
            method: 'PATCH',
            headers: headerParameters,
            query: queryParameters,
            body: WebhookPatchToJSON(requestParameters.webhookPatch),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => WebhookFromJSON(jsonValue));
    }

    /**
     * Changes only the fields present in the body (JSON Merge Patch, RFC 7396); an empty object changes nothing. `application/json` is accepted as a synonym of `application/merge-patch+json`. A new `url` or `event_types` applies to the attempts and events from then on. `enabled: false` disables the webhook and fails its pending deliveries (`webhook_disabled`); `enabled: true` enables it again. `rotate_secret: true` gives it a new secret, shown in this answer only. 
     * Update a webhook
     */
    async updateWebhook(requestParameters: UpdateWebhookRequest, options?: runtime.RequestOptions): Promise<Webhook> {
        const response = await this.updateWebhookRaw(requestParameters, options);
        return await response.value();
    }

}
