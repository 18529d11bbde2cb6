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
    List,
    ListFromJSON,
    ListToJSON,
    ListCollection,
    ListCollectionFromJSON,
    ListCollectionToJSON,
    ListCreate,
    ListCreateFromJSON,
    ListCreateToJSON,
    ListMove,
    ListMoveFromJSON,
    ListMoveToJSON,
    ListPatch,
    ListPatchFromJSON,
    ListPatchToJSON,
    Problem,
    ProblemFromJSON,
    ProblemToJSON,
} from '../models/index.js';

export interface CreateListRequest {
    userId: string;
    listCreate: ListCreate;
    idempotencyKey?: string | undefined;
}

export interface DeleteListRequest {
    userId: string;
    listId: number;
    ifMatch?: string | undefined;
}

export interface GetListRequest {
    userId: string;
    listId: number;
    ifNoneMatch?: string | undefined;
}

export interface ListListsRequest {
    userId: string;
    ifNoneMatch?: string | undefined;
}

export interface MoveListRequest {
    userId: string;
    listId: number;
    listMove: ListMove;
    ifMatch?: string | undefined;
}

export interface UpdateListRequest {
    userId: string;
    listId: number;
    listPatch: ListPatch;
    ifMatch?: string | undefined;
}

/**
 * 
 */
export class ListsApi extends runtime.BaseAPI {

    /**
     * Creates a list, last in the user\'s manual order. The name is trimmed of leading and trailing white space; server-owned fields (`id`, `user_id`, `position`, `is_default`, timestamps) are rejected with 400. 409 when the user already has a list of that name (compared case-insensitively), or holds as many lists as the `lists` quota allows. 
     * Create a list
     */
    async createListRaw(requestParameters: CreateListRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<List>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling createList.');
        }

        if (requestParameters.listCreate === null || requestParameters.listCreate === undefined) {
            throw new runtime.RequiredError('listCreate','Required parameter requestParameters.listCreate was null or undefined when calling createList.');
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
            path: `/api/{user_id}/lists`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))),
            method: 'POST',
            headers: headerParameters,
            query: queryParameters,
            body: ListCreateToJSON(requestParameters.listCreate),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => ListFromJSON(jsonValue));
    }

    /**
     * Creates a list, last in the user\'s manual order. The name is trimmed of leading and trailing white space; server-owned fields (`id`, `user_id`, `position`, `is_default`, timestamps) are rejected with 400. 409 when the user already has a list of that name (compared case-insensitively), or holds as many lists as the `lists` quota allows. 
     * Create a list
     */
    async createList(requestParameters: CreateListRequest, options?: runtime.RequestOptions): Promise<List> {
        const response = await this.createListRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Deletes the list for good. Every task in it that is not in the trash goes to the trash, each top-level task as a trash item with its subtasks (see `listTrash`); restored, they go to the default list. The default list cannot be deleted (409). 
     * Delete a list
     */
    async deleteListRaw(requestParameters: DeleteListRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<void>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling deleteList.');
        }

        if (requestParameters.listId === null || requestParameters.listId === undefined) {
            throw new runtime.RequiredError('listId','Required parameter requestParameters.listId was null or undefined when calling deleteList.');
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
            path: `/api/{user_id}/lists/{list_id}`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"list_id"}}`, encodeURIComponent(String(requestParameters.listId))),
            method: 'DELETE',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.VoidApiResponse(response);
    }

    /**
     * Deletes the list for good. Every task in it that is not in the trash goes to the trash, each top-level task as a trash item with its subtasks (see `listTrash`); restored, they go to the default list. The default list cannot be deleted (409). 
     * Delete a list
     */
    async deleteList(requestParameters: DeleteListRequest, options?: runtime.RequestOptions): Promise<void> {
        await this.deleteListRaw(requestParameters, options);
    }

    /**
     * Returns one of the user\'s lists. 
     * Get a list
     */
    async getListRaw(requestParameters: GetListRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<List>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling getList.');
        }

        if (requestParameters.listId === null || requestParameters.listId === undefined) {
            throw new runtime.RequiredError('listId','Required parameter requestParameters.listId was null or undefined when calling getList.');
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
            path: `/api/{user_id}/lists/{list_id}`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"list_id"}}`, encodeURIComponent(String(requestParameters.listId))),
            method: 'GET',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => ListFromJSON(jsonValue));
    }

    /**
     * Returns one of the user\'s lists. 
     * Get a list
     */
    async getList(requestParameters: GetListRequest, options?: runtime.RequestOptions): Promise<List> {
        const response = await this.getListRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Every list of the user, in their manual order (by `position`). The default list is made first if the user has none yet, so the answer is never empty. The answer\'s `ETag` changes whenever any list does: with it in `If-None-Match`, the answer is 304 while no list changed. 
     * List the lists
     */
    async listListsRaw(requestParameters: ListListsRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<ListCollection>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling listLists.');
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
            path: `/api/{user_id}/lists`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))),
            method: 'GET',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => ListCollectionFromJSON(jsonValue));
    }

    /**
     * Every list of the user, in their manual order (by `position`). The default list is made first if the user has none yet, so the answer is never empty. The answer\'s `ETag` changes whenever any list does: with it in `If-None-Match`, the answer is 304 while no list changed. 
     * List the lists
     */
    async listLists(requestParameters: ListListsRequest, options?: runtime.RequestOptions): Promise<ListCollection> {
        const response = await this.listListsRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Puts the list right after `after_id` or right before `before_id` in the user\'s manual order (not both: 400); with neither, last. 409 when `after_id` or `before_id` is not one of the user\'s lists, or is the list itself. The moved list gets a new `position`; when the keys between its neighbours run out, the server also gives the other lists new ones (still in the same order). 
     * Move a list
     */
    async moveListRaw(requestParameters: MoveListRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<List>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling moveList.');
        }

        if (requestParameters.listId === null || requestParameters.listId === undefined) {
            throw new runtime.RequiredError('listId','Required parameter requestParameters.listId was null or undefined when calling moveList.');
        }

        if (requestParameters.listMove === null || requestParameters.listMove === undefined) {
            throw new runtime.RequiredError('listMove','Required parameter requestParameters.listMove was null or undefined when calling moveList.');
        }

        const queryParameters: runtime.HTTPQuery = {};

        const headerParameters: runtime.HTTPHeaders = {};

        headerParameters['Content-Type'] = 'application/json';

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
            path: `/api/{user_id}/lists/{list_id}/move`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"list_id"}}`, encodeURIComponent(String(requestParameters.listId))),
            method: 'POST',
            headers: headerParameters,
            query: queryParameters,
            body: ListMoveToJSON(requestParameters.listMove),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => ListFromJSON(jsonValue));
    }

    /**
     * Puts the list right after `after_id` or right before `before_id` in the user\'s manual order (not both: 400); with neither, last. 409 when `after_id` or `before_id` is not one of the user\'s lists, or is the list itself. The moved list gets a new `position`; when the keys between its neighbours run out, the server also gives the other lists new ones (still in the same order). 
     * Move a list
     */
    async moveList(requestParameters: MoveListRequest, options?: runtime.RequestOptions): Promise<List> {
        const response = await this.moveListRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Changes only the fields present in the body (JSON Merge Patch, RFC 7396): a field that is absent stays as it is; `\"color\": null` removes the colour. `name` cannot be null; it is trimmed, and 409 when another of the user\'s lists has it (compared case-insensitively). An empty object changes nothing. `application/json` is accepted as a synonym of `application/merge-patch+json`. The default list can be renamed. The list\'s place is changed by `moveList`. 
     * Update a list
     */
    async updateListRaw(requestParameters: UpdateListRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<List>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling updateList.');
        }

        if (requestParameters.listId === null || requestParameters.listId === undefined) {
            throw new runtime.RequiredError('listId','Required parameter requestParameters.listId was null or undefined when calling updateList.');
        }

        if (requestParameters.listPatch === null || requestParameters.listPatch === undefined) {
            throw new runtime.RequiredError('listPatch','Required parameter requestParameters.listPatch was null or undefined when calling updateList.');
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
            path: `/api/{user_id}/lists/{list_id}`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"list_id"}}`, encodeURIComponent(String(requestParameters.listId))),
            method: 'PATCH',
            headers: headerParameters,
            query: queryParameters,
            body: ListPatchToJSON(requestParameters.listPatch),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => ListFromJSON(jsonValue));
    }

    /**
     * Changes only the fields present in the body (JSON Merge Patch, RFC 7396): a field that is absent stays as it is; `\"color\": null` removes the colour. `name` cannot be null; it is trimmed, and 409 when another of the user\'s lists has it (compared case-insensitively). An empty object changes nothing. `application/json` is accepted as a synonym of `application/merge-patch+json`. The default list can be renamed. The list\'s place is changed by `moveList`. 
     * Update a list
     */
    async updateList(requestParameters: UpdateListRequest, options?: runtime.RequestOptions): Promise<List> {
        const response = await this.updateListRaw(requestParameters, options);
        return await response.value();
    }

}
