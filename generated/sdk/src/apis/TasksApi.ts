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
    BulkRequest,
    BulkRequestFromJSON,
    BulkRequestToJSON,
    BulkResult,
    BulkResultFromJSON,
    BulkResultToJSON,
    ClearedTasks,
    ClearedTasksFromJSON,
    ClearedTasksToJSON,
    Priority,
    PriorityFromJSON,
    PriorityToJSON,
    Problem,
    ProblemFromJSON,
    ProblemToJSON,
    TagSummaryList,
    TagSummaryListFromJSON,
    TagSummaryListToJSON,
    Task,
    TaskFromJSON,
    TaskToJSON,
    TaskCompletion,
    TaskCompletionFromJSON,
    TaskCompletionToJSON,
    TaskCreate,
    TaskCreateFromJSON,
    TaskCreateToJSON,
    TaskList,
    TaskListFromJSON,
    TaskListToJSON,
    TaskMove,
    TaskMoveFromJSON,
    TaskMoveToJSON,
    TaskPatch,
    TaskPatchFromJSON,
    TaskPatchToJSON,
    TaskReplace,
    TaskReplaceFromJSON,
    TaskReplaceToJSON,
} from '../models/index.js';

export interface BulkTasksRequest {
    userId: string;
    bulkRequest: BulkRequest;
    idempotencyKey?: string | undefined;
}

export interface ClearCompletedTasksRequest {
    userId: string;
}

export interface CompleteTaskRequest {
    userId: string;
    taskId: number;
    ifMatch?: string | undefined;
    idempotencyKey?: string | undefined;
    taskCompletion?: TaskCompletion | undefined;
}

export interface CreateTaskRequest {
    userId: string;
    taskCreate: TaskCreate;
    idempotencyKey?: string | undefined;
}

export interface DeleteTaskRequest {
    userId: string;
    taskId: number;
    ifMatch?: string | undefined;
}

export interface GetTaskRequest {
    userId: string;
    taskId: number;
    ifNoneMatch?: string | undefined;
}

export interface ListTagsRequest {
    userId: string;
}

export interface ListTasksRequest {
    userId: string;
    status?: ListTasksStatusEnum | undefined;
    priority?: Array<Priority> | undefined;
    tag?: Array<string> | undefined;
    dueAfter?: Date | undefined;
    dueBefore?: Date | undefined;
    overdue?: boolean | undefined;
    q?: string | undefined;
    listId?: number | undefined;
    parentId?: number | undefined;
    sort?: ListTasksSortEnum | undefined;
    order?: ListTasksOrderEnum | undefined;
    limit?: number | undefined;
    cursor?: string | undefined;
}

export interface MoveTaskRequest {
    userId: string;
    taskId: number;
    taskMove: TaskMove;
    ifMatch?: string | undefined;
}

export interface ReplaceTaskRequest {
    userId: string;
    taskId: number;
    taskReplace: TaskReplace;
    ifMatch?: string | undefined;
}

export interface UpdateTaskRequest {
    userId: string;
    taskId: number;
    taskPatch: TaskPatch;
    ifMatch?: string | undefined;
}

/**
 * 
 */
export class TasksApi extends runtime.BaseAPI {

    /**
     * Runs up to 100 actions (create, update, complete, delete) in order, in one request. A delete moves its task to the trash with its subtasks, as `deleteTask` does.  With `atomic: true` they succeed or fail together, in one transaction: on success the answer is 200 with one result per action; when one fails, nothing is changed and the answer is that action\'s problem (400, 404, 409, 412 or 428), whose `errors` point at the action (`/actions/3/...`), or the 409 of a quota the actions together would exceed.  Otherwise (`atomic: false`, the default) each action stands alone: the answer is 207 with one result per action, each with its own status and either the task or a problem (a create or update past a quota fails alone with 409).  An update, complete or delete action\'s `if_match` works as `If-Match` does on the single write: a stale one fails that action with 412 (its problem points at `/actions/3/if_match`) and leaves its task as it was. A server run with `REQUIRE_IF_MATCH=true` fails such an action without `if_match` with 428; creates need none. Each result with a task carries the task\'s `etag`, for the `if_match` of a later request.  With an `Idempotency-Key`, the request happens exactly once either way: with `atomic: true` the actions and the stored answer are one transaction; with `atomic: false` every action that succeeds is committed together with the 207 answer (each action in a savepoint of that one transaction, so a failing action undoes only its own writes), and an unexpected failure (500, 503) keeps none of them, so the retry with the key runs them all. Without a key, each action of a non-atomic request is committed on its own as it runs: an unexpected failure keeps the actions before it.  The answer to a key is kept compact: each action\'s status, with its task\'s id or its problem. A replay rebuilds the results from the tasks as they are then: a task nobody changed since is the first answer\'s, byte for byte; a task changed since (by a later action of the same request too) is shown as it now is, with its current `etag`; a task deleted since leaves its result with `index` and `status` only. 
     * Run several task actions at once
     */
    async bulkTasksRaw(requestParameters: BulkTasksRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<BulkResult>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling bulkTasks.');
        }

        if (requestParameters.bulkRequest === null || requestParameters.bulkRequest === undefined) {
            throw new runtime.RequiredError('bulkRequest','Required parameter requestParameters.bulkRequest was null or undefined when calling bulkTasks.');
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
            path: `/api/{user_id}/tasks/bulk`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))),
            method: 'POST',
            headers: headerParameters,
            query: queryParameters,
            body: BulkRequestToJSON(requestParameters.bulkRequest),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => BulkResultFromJSON(jsonValue));
    }

    /**
     * Runs up to 100 actions (create, update, complete, delete) in order, in one request. A delete moves its task to the trash with its subtasks, as `deleteTask` does.  With `atomic: true` they succeed or fail together, in one transaction: on success the answer is 200 with one result per action; when one fails, nothing is changed and the answer is that action\'s problem (400, 404, 409, 412 or 428), whose `errors` point at the action (`/actions/3/...`), or the 409 of a quota the actions together would exceed.  Otherwise (`atomic: false`, the default) each action stands alone: the answer is 207 with one result per action, each with its own status and either the task or a problem (a create or update past a quota fails alone with 409).  An update, complete or delete action\'s `if_match` works as `If-Match` does on the single write: a stale one fails that action with 412 (its problem points at `/actions/3/if_match`) and leaves its task as it was. A server run with `REQUIRE_IF_MATCH=true` fails such an action without `if_match` with 428; creates need none. Each result with a task carries the task\'s `etag`, for the `if_match` of a later request.  With an `Idempotency-Key`, the request happens exactly once either way: with `atomic: true` the actions and the stored answer are one transaction; with `atomic: false` every action that succeeds is committed together with the 207 answer (each action in a savepoint of that one transaction, so a failing action undoes only its own writes), and an unexpected failure (500, 503) keeps none of them, so the retry with the key runs them all. Without a key, each action of a non-atomic request is committed on its own as it runs: an unexpected failure keeps the actions before it.  The answer to a key is kept compact: each action\'s status, with its task\'s id or its problem. A replay rebuilds the results from the tasks as they are then: a task nobody changed since is the first answer\'s, byte for byte; a task changed since (by a later action of the same request too) is shown as it now is, with its current `etag`; a task deleted since leaves its result with `index` and `status` only. 
     * Run several task actions at once
     */
    async bulkTasks(requestParameters: BulkTasksRequest, options?: runtime.RequestOptions): Promise<BulkResult> {
        const response = await this.bulkTasksRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Moves all of the user\'s completed tasks to the trash, each with its subtasks (as `deleteTask` does), and says how many completed tasks there were. 
     * Move every completed task to the trash
     */
    async clearCompletedTasksRaw(requestParameters: ClearCompletedTasksRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<ClearedTasks>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling clearCompletedTasks.');
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
            path: `/api/{user_id}/tasks/clear-completed`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))),
            method: 'POST',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => ClearedTasksFromJSON(jsonValue));
    }

    /**
     * Moves all of the user\'s completed tasks to the trash, each with its subtasks (as `deleteTask` does), and says how many completed tasks there were. 
     * Move every completed task to the trash
     */
    async clearCompletedTasks(requestParameters: ClearCompletedTasksRequest, options?: runtime.RequestOptions): Promise<ClearedTasks> {
        const response = await this.clearCompletedTasksRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * With a body `{\"completed\": true}` or `{\"completed\": false}`, sets the completion state (repeating it changes nothing). Without a body, or with an empty object, toggles it, as the original API did. `completed_at` is set when the task becomes completed and cleared when it is reopened.  **Recurring tasks.** Completing an occurrence of a recurring task (here, or by setting `completed` with PATCH, PUT or a bulk action) also creates the next occurrence, in the same transaction, unless the series has ended (`until` passed, `count` occurrences made, or past the year 9999). The completed occurrence stays as history and names the new one in `next_occurrence_id`; the new one copies title, description, priority, tags, zone and rule. Dates are local to the task\'s `time_zone` (UTC for an all-day task without one): - `from_due`: the next date after the occurrence\'s due that fits the rule, counted from   the series\' first due; `from_completion`: the same, as if the series began on the day   the occurrence was completed. - daily and weekly: `interval` days or weeks on; weekly `weekdays`: the next listed day of   the same week (Monday to Sunday), else the first listed day `interval` weeks on. - monthly and yearly keep the first due\'s day of the month, clamped to shorter months   (Jan 31 → Feb 28, or 29 in a leap year → Mar 31). - a due instant keeps its local time of day across daylight-saving changes; a time the   clocks skip moves on by the gap, a repeated one means its first occurrence. Reopening a completed occurrence does not remove the next one, completing it again does not create another, and two simultaneous completions create exactly one. Setting a due or a rule restarts the series from that due. 
     * Complete, reopen or toggle a task
     */
    async completeTaskRaw(requestParameters: CompleteTaskRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<Task>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling completeTask.');
        }

        if (requestParameters.taskId === null || requestParameters.taskId === undefined) {
            throw new runtime.RequiredError('taskId','Required parameter requestParameters.taskId was null or undefined when calling completeTask.');
        }

        const queryParameters: runtime.HTTPQuery = {};

        const headerParameters: runtime.HTTPHeaders = {};

        headerParameters['Content-Type'] = 'application/json';

        if (requestParameters.ifMatch !== undefined && requestParameters.ifMatch !== null) {
            headerParameters['If-Match'] = String(requestParameters.ifMatch);
        }

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
            path: `/api/{user_id}/tasks/{task_id}/complete`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"task_id"}}`, encodeURIComponent(String(requestParameters.taskId))),
            method: 'PATCH',
            headers: headerParameters,
            query: queryParameters,
            body: TaskCompletionToJSON(requestParameters.taskCompletion),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => TaskFromJSON(jsonValue));
    }

    /**
     * With a body `{\"completed\": true}` or `{\"completed\": false}`, sets the completion state (repeating it changes nothing). Without a body, or with an empty object, toggles it, as the original API did. `completed_at` is set when the task becomes completed and cleared when it is reopened.  **Recurring tasks.** Completing an occurrence of a recurring task (here, or by setting `completed` with PATCH, PUT or a bulk action) also creates the next occurrence, in the same transaction, unless the series has ended (`until` passed, `count` occurrences made, or past the year 9999). The completed occurrence stays as history and names the new one in `next_occurrence_id`; the new one copies title, description, priority, tags, zone and rule. Dates are local to the task\'s `time_zone` (UTC for an all-day task without one): - `from_due`: the next date after the occurrence\'s due that fits the rule, counted from   the series\' first due; `from_completion`: the same, as if the series began on the day   the occurrence was completed. - daily and weekly: `interval` days or weeks on; weekly `weekdays`: the next listed day of   the same week (Monday to Sunday), else the first listed day `interval` weeks on. - monthly and yearly keep the first due\'s day of the month, clamped to shorter months   (Jan 31 → Feb 28, or 29 in a leap year → Mar 31). - a due instant keeps its local time of day across daylight-saving changes; a time the   clocks skip moves on by the gap, a repeated one means its first occurrence. Reopening a completed occurrence does not remove the next one, completing it again does not create another, and two simultaneous completions create exactly one. Setting a due or a rule restarts the series from that due. 
     * Complete, reopen or toggle a task
     */
    async completeTask(requestParameters: CompleteTaskRequest, options?: runtime.RequestOptions): Promise<Task> {
        const response = await this.completeTaskRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Creates a task, last among the tasks of its list and parent. The title is trimmed of leading and trailing white space. Server-owned fields (`id`, `user_id`, `position`, timestamps) are rejected with 400.  **List and parent.** The task goes into `list_id`, else into the parent\'s list when `parent_id` is given, else into the user\'s default list. 409 when `list_id` or `parent_id` is not one of the user\'s lists or tasks (or the parent is in the trash), when the parent is in another list than `list_id`, when the task would be deeper than 4 levels, or past the `tasks_per_list` or `subtasks_per_parent` quota. 
     * Create a task
     */
    async createTaskRaw(requestParameters: CreateTaskRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<Task>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling createTask.');
        }

        if (requestParameters.taskCreate === null || requestParameters.taskCreate === undefined) {
            throw new runtime.RequiredError('taskCreate','Required parameter requestParameters.taskCreate was null or undefined when calling createTask.');
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
            path: `/api/{user_id}/tasks`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))),
            method: 'POST',
            headers: headerParameters,
            query: queryParameters,
            body: TaskCreateToJSON(requestParameters.taskCreate),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => TaskFromJSON(jsonValue));
    }

    /**
     * Creates a task, last among the tasks of its list and parent. The title is trimmed of leading and trailing white space. Server-owned fields (`id`, `user_id`, `position`, timestamps) are rejected with 400.  **List and parent.** The task goes into `list_id`, else into the parent\'s list when `parent_id` is given, else into the user\'s default list. 409 when `list_id` or `parent_id` is not one of the user\'s lists or tasks (or the parent is in the trash), when the parent is in another list than `list_id`, when the task would be deeper than 4 levels, or past the `tasks_per_list` or `subtasks_per_parent` quota. 
     * Create a task
     */
    async createTask(requestParameters: CreateTaskRequest, options?: runtime.RequestOptions): Promise<Task> {
        const response = await this.createTaskRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Moves the task to the trash, with its subtasks at every level (see `listTrash`): it is then 404 here and out of every list, count, search and bulk action, until it is restored (`restoreTask`) or purged (`purgeTask`, `emptyTrash`, or by itself `TRASH_RETENTION_DAYS`, 30 by default, after its deletion). A recurring series makes no further occurrence from it. 
     * Delete a task
     */
    async deleteTaskRaw(requestParameters: DeleteTaskRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<void>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling deleteTask.');
        }

        if (requestParameters.taskId === null || requestParameters.taskId === undefined) {
            throw new runtime.RequiredError('taskId','Required parameter requestParameters.taskId was null or undefined when calling deleteTask.');
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
            path: `/api/{user_id}/tasks/{task_id}`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"task_id"}}`, encodeURIComponent(String(requestParameters.taskId))),
            method: 'DELETE',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.VoidApiResponse(response);
    }

    /**
     * Moves the task to the trash, with its subtasks at every level (see `listTrash`): it is then 404 here and out of every list, count, search and bulk action, until it is restored (`restoreTask`) or purged (`purgeTask`, `emptyTrash`, or by itself `TRASH_RETENTION_DAYS`, 30 by default, after its deletion). A recurring series makes no further occurrence from it. 
     * Delete a task
     */
    async deleteTask(requestParameters: DeleteTaskRequest, options?: runtime.RequestOptions): Promise<void> {
        await this.deleteTaskRaw(requestParameters, options);
    }

    /**
     * Returns one of the user\'s tasks.
     * Get a task
     */
    async getTaskRaw(requestParameters: GetTaskRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<Task>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling getTask.');
        }

        if (requestParameters.taskId === null || requestParameters.taskId === undefined) {
            throw new runtime.RequiredError('taskId','Required parameter requestParameters.taskId was null or undefined when calling getTask.');
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
            path: `/api/{user_id}/tasks/{task_id}`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"task_id"}}`, encodeURIComponent(String(requestParameters.taskId))),
            method: 'GET',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => TaskFromJSON(jsonValue));
    }

    /**
     * Returns one of the user\'s tasks.
     * Get a task
     */
    async getTask(requestParameters: GetTaskRequest, options?: runtime.RequestOptions): Promise<Task> {
        const response = await this.getTaskRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * The user\'s tags, by name, each with the number of tasks carrying it (and how many of those are open). At most 2000 tags are listed; `truncated` says when there are more. 
     * List tags
     */
    async listTagsRaw(requestParameters: ListTagsRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<TagSummaryList>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling listTags.');
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
            path: `/api/{user_id}/tags`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))),
            method: 'GET',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => TagSummaryListFromJSON(jsonValue));
    }

    /**
     * The user\'s tags, by name, each with the number of tasks carrying it (and how many of those are open). At most 2000 tags are listed; `truncated` says when there are more. 
     * List tags
     */
    async listTags(requestParameters: ListTagsRequest, options?: runtime.RequestOptions): Promise<TagSummaryList> {
        const response = await this.listTagsRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Lists the user\'s tasks, filtered and sorted. Filters combine with AND: `status`, `priority` (any of the given ones), `tag` (tasks having every given tag), a due window (`due_after` inclusive, `due_before` exclusive), `overdue`, and `q`, a full-text search over title and description (PostgreSQL full-text search in English: words match their other forms, e.g. `plan` finds \"planning\"). Tasks in the trash are never listed.  **Lists and subtasks.** `list_id` alone lists that list\'s top-level tasks; `parent_id` lists that task\'s direct subtasks (with `list_id` too, it must be in that list, else nothing is listed); with neither, every task of every list at every level, as before lists existed.  **Due times compared.** A task due at an instant (`due_at`) is due at that instant. An all-day task (`due_date`) is due at the start of that day in its `time_zone`, or in UTC when it has none, and is overdue once that whole day has passed. Completed tasks are never overdue.  **Sorting.** `sort` is `created_at` (the default), `updated_at`, `due` (undated tasks last, whatever the order), `priority`, `title`, `relevance` (the default when `q` is given; only with `q`), or `position`, the manual order of one list or parent (only with `list_id` or `parent_id`, else 400). `order` is `desc` (the default) or `asc` (the default with `position`). Ties are broken by `id` in the same order, so that the order is total. So that one search costs a bounded amount of work however many tasks match, `relevance` ranks only the 1,000 newest matching tasks (by `created_at`, then `id`) and lists those; every other sort lists every match.  **Pages** are cut by an opaque cursor: pass the previous page\'s `next_cursor` as `cursor` to get the next page; `next_cursor` is null on the last page. Cursors stay correct while tasks are added or removed between pages (no task is skipped or repeated), and are only valid with the same filters and sort (otherwise 400). With `relevance`, the pages after the first rank the first page\'s 1,000 candidates (less those removed since; tasks created since come on a new first page), and a relevance cursor issued before this bound existed is a 400 that says to start again without a cursor. A cursor is not a credential: it only ever lists the caller\'s own tasks. 
     * List tasks
     */
    async listTasksRaw(requestParameters: ListTasksRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<TaskList>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling listTasks.');
        }

        const queryParameters: runtime.HTTPQuery = {};

        if (requestParameters.status !== undefined) {
            queryParameters['status'] = requestParameters.status;
        }

        if (requestParameters.priority) {
            queryParameters['priority'] = requestParameters.priority;
        }

        if (requestParameters.tag) {
            queryParameters['tag'] = requestParameters.tag;
        }

        if (requestParameters.dueAfter !== undefined) {
            queryParameters['due_after'] = (requestParameters.dueAfter as any).toISOString();
        }

        if (requestParameters.dueBefore !== undefined) {
            queryParameters['due_before'] = (requestParameters.dueBefore as any).toISOString();
        }

        if (requestParameters.overdue !== undefined) {
            queryParameters['overdue'] = requestParameters.overdue;
        }

        if (requestParameters.q !== undefined) {
            queryParameters['q'] = requestParameters.q;
        }

        if (requestParameters.listId !== undefined) {
            queryParameters['list_id'] = requestParameters.listId;
        }

        if (requestParameters.parentId !== undefined) {
            queryParameters['parent_id'] = requestParameters.parentId;
        }

        if (requestParameters.sort !== undefined) {
            queryParameters['sort'] = requestParameters.sort;
        }

        if (requestParameters.order !== undefined) {
            queryParameters['order'] = requestParameters.order;
        }

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
            path: `/api/{user_id}/tasks`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))),
            method: 'GET',
            headers: headerParameters,
            query: queryParameters,
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => TaskListFromJSON(jsonValue));
    }

    /**
     * Lists the user\'s tasks, filtered and sorted. Filters combine with AND: `status`, `priority` (any of the given ones), `tag` (tasks having every given tag), a due window (`due_after` inclusive, `due_before` exclusive), `overdue`, and `q`, a full-text search over title and description (PostgreSQL full-text search in English: words match their other forms, e.g. `plan` finds \"planning\"). Tasks in the trash are never listed.  **Lists and subtasks.** `list_id` alone lists that list\'s top-level tasks; `parent_id` lists that task\'s direct subtasks (with `list_id` too, it must be in that list, else nothing is listed); with neither, every task of every list at every level, as before lists existed.  **Due times compared.** A task due at an instant (`due_at`) is due at that instant. An all-day task (`due_date`) is due at the start of that day in its `time_zone`, or in UTC when it has none, and is overdue once that whole day has passed. Completed tasks are never overdue.  **Sorting.** `sort` is `created_at` (the default), `updated_at`, `due` (undated tasks last, whatever the order), `priority`, `title`, `relevance` (the default when `q` is given; only with `q`), or `position`, the manual order of one list or parent (only with `list_id` or `parent_id`, else 400). `order` is `desc` (the default) or `asc` (the default with `position`). Ties are broken by `id` in the same order, so that the order is total. So that one search costs a bounded amount of work however many tasks match, `relevance` ranks only the 1,000 newest matching tasks (by `created_at`, then `id`) and lists those; every other sort lists every match.  **Pages** are cut by an opaque cursor: pass the previous page\'s `next_cursor` as `cursor` to get the next page; `next_cursor` is null on the last page. Cursors stay correct while tasks are added or removed between pages (no task is skipped or repeated), and are only valid with the same filters and sort (otherwise 400). With `relevance`, the pages after the first rank the first page\'s 1,000 candidates (less those removed since; tasks created since come on a new first page), and a relevance cursor issued before this bound existed is a 400 that says to start again without a cursor. A cursor is not a credential: it only ever lists the caller\'s own tasks. 
     * List tasks
     */
    async listTasks(requestParameters: ListTasksRequest, options?: runtime.RequestOptions): Promise<TaskList> {
        const response = await this.listTasksRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Moves the task, with its subtasks, to another place: in its list or another, at the top level or under another task, before or after a given sibling.  **The destination group** (a list, and a parent or none for the top level) is the one `list_id` and `parent_id` name; when both are absent, the group of `after_id` or `before_id`; else the task\'s own group, so an empty body moves the task to the end of its own group. `parent_id` alone puts the task under that task, in that task\'s list; `list_id` without `parent_id` puts it at the top level of that list; `\"parent_id\": null` at the top level. In the group, the task goes right after `after_id` or right before `before_id` (not both: 400), each a task of the destination group that is not in the trash; with neither, last.  The task\'s subtasks move with it (to its new list too) and keep their order under it. The moved task gets a new `position`; when the keys between its neighbours run out, the server also gives its new siblings new ones (still in the same order).  409 (nothing moved) when: the parent is the task itself or one of its subtasks (a cycle); the moved subtree would go deeper than 4 levels (a top-level task is level 1); `after_id` or `before_id` is not a task of the destination group; the parent is in another list than `list_id`, or in the trash; `list_id` is not one of the user\'s lists; the destination list would hold more tasks than the `tasks_per_list` quota, or the parent more direct subtasks than `subtasks_per_parent`. 
     * Move a task
     */
    async moveTaskRaw(requestParameters: MoveTaskRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<Task>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling moveTask.');
        }

        if (requestParameters.taskId === null || requestParameters.taskId === undefined) {
            throw new runtime.RequiredError('taskId','Required parameter requestParameters.taskId was null or undefined when calling moveTask.');
        }

        if (requestParameters.taskMove === null || requestParameters.taskMove === undefined) {
            throw new runtime.RequiredError('taskMove','Required parameter requestParameters.taskMove was null or undefined when calling moveTask.');
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
            path: `/api/{user_id}/tasks/{task_id}/move`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"task_id"}}`, encodeURIComponent(String(requestParameters.taskId))),
            method: 'POST',
            headers: headerParameters,
            query: queryParameters,
            body: TaskMoveToJSON(requestParameters.taskMove),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => TaskFromJSON(jsonValue));
    }

    /**
     * Moves the task, with its subtasks, to another place: in its list or another, at the top level or under another task, before or after a given sibling.  **The destination group** (a list, and a parent or none for the top level) is the one `list_id` and `parent_id` name; when both are absent, the group of `after_id` or `before_id`; else the task\'s own group, so an empty body moves the task to the end of its own group. `parent_id` alone puts the task under that task, in that task\'s list; `list_id` without `parent_id` puts it at the top level of that list; `\"parent_id\": null` at the top level. In the group, the task goes right after `after_id` or right before `before_id` (not both: 400), each a task of the destination group that is not in the trash; with neither, last.  The task\'s subtasks move with it (to its new list too) and keep their order under it. The moved task gets a new `position`; when the keys between its neighbours run out, the server also gives its new siblings new ones (still in the same order).  409 (nothing moved) when: the parent is the task itself or one of its subtasks (a cycle); the moved subtree would go deeper than 4 levels (a top-level task is level 1); `after_id` or `before_id` is not a task of the destination group; the parent is in another list than `list_id`, or in the trash; `list_id` is not one of the user\'s lists; the destination list would hold more tasks than the `tasks_per_list` quota, or the parent more direct subtasks than `subtasks_per_parent`. 
     * Move a task
     */
    async moveTask(requestParameters: MoveTaskRequest, options?: runtime.RequestOptions): Promise<Task> {
        const response = await this.moveTaskRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Replaces every writable field of the task: `title`, `description` and `completed` are all required. `completed_at` is set when the task becomes completed and cleared when it is reopened. 
     * Replace a task
     */
    async replaceTaskRaw(requestParameters: ReplaceTaskRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<Task>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling replaceTask.');
        }

        if (requestParameters.taskId === null || requestParameters.taskId === undefined) {
            throw new runtime.RequiredError('taskId','Required parameter requestParameters.taskId was null or undefined when calling replaceTask.');
        }

        if (requestParameters.taskReplace === null || requestParameters.taskReplace === undefined) {
            throw new runtime.RequiredError('taskReplace','Required parameter requestParameters.taskReplace was null or undefined when calling replaceTask.');
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
            path: `/api/{user_id}/tasks/{task_id}`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"task_id"}}`, encodeURIComponent(String(requestParameters.taskId))),
            method: 'PUT',
            headers: headerParameters,
            query: queryParameters,
            body: TaskReplaceToJSON(requestParameters.taskReplace),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => TaskFromJSON(jsonValue));
    }

    /**
     * Replaces every writable field of the task: `title`, `description` and `completed` are all required. `completed_at` is set when the task becomes completed and cleared when it is reopened. 
     * Replace a task
     */
    async replaceTask(requestParameters: ReplaceTaskRequest, options?: runtime.RequestOptions): Promise<Task> {
        const response = await this.replaceTaskRaw(requestParameters, options);
        return await response.value();
    }

    /**
     * Changes only the fields present in the body (JSON Merge Patch, RFC 7396): a field that is absent stays as it is; `\"description\": null` clears the description. `title` cannot be null. An empty object changes nothing. `application/json` is accepted as a synonym of `application/merge-patch+json`. 
     * Update a task
     */
    async updateTaskRaw(requestParameters: UpdateTaskRequest, options?: runtime.RequestOptions): Promise<runtime.ApiResponse<Task>> {
        if (requestParameters.userId === null || requestParameters.userId === undefined) {
            throw new runtime.RequiredError('userId','Required parameter requestParameters.userId was null or undefined when calling updateTask.');
        }

        if (requestParameters.taskId === null || requestParameters.taskId === undefined) {
            throw new runtime.RequiredError('taskId','Required parameter requestParameters.taskId was null or undefined when calling updateTask.');
        }

        if (requestParameters.taskPatch === null || requestParameters.taskPatch === undefined) {
            throw new runtime.RequiredError('taskPatch','Required parameter requestParameters.taskPatch was null or undefined when calling updateTask.');
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
            path: `/api/{user_id}/tasks/{task_id}`.replace(`{${"user_id"}}`, encodeURIComponent(String(requestParameters.userId))).replace(`{${"task_id"}}`, encodeURIComponent(String(requestParameters.taskId))),
            method: 'PATCH',
            headers: headerParameters,
            query: queryParameters,
            body: TaskPatchToJSON(requestParameters.taskPatch),
        }, options);

        return new runtime.JSONApiResponse(response, (jsonValue) => TaskFromJSON(jsonValue));
    }

    /**
     * Changes only the fields present in the body (JSON Merge Patch, RFC 7396): a field that is absent stays as it is; `\"description\": null` clears the description. `title` cannot be null. An empty object changes nothing. `application/json` is accepted as a synonym of `application/merge-patch+json`. 
     * Update a task
     */
    async updateTask(requestParameters: UpdateTaskRequest, options?: runtime.RequestOptions): Promise<Task> {
        const response = await this.updateTaskRaw(requestParameters, options);
        return await response.value();
    }

}

/**
 * The allowed values, as named constants; the plain strings (e.g. `'open'`) are accepted too.
 */
export const ListTasksStatusEnum = {
    Open: 'open',
    Completed: 'completed',
    All: 'all'
} as const;
export type ListTasksStatusEnum = typeof ListTasksStatusEnum[keyof typeof ListTasksStatusEnum];
/**
 * The allowed values, as named constants; the plain strings (e.g. `'open'`) are accepted too.
 */
export const ListTasksSortEnum = {
    CreatedAt: 'created_at',
    UpdatedAt: 'updated_at',
    Due: 'due',
    Priority: 'priority',
    Title: 'title',
    Relevance: 'relevance',
    Position: 'position'
} as const;
export type ListTasksSortEnum = typeof ListTasksSortEnum[keyof typeof ListTasksSortEnum];
/**
 * The allowed values, as named constants; the plain strings (e.g. `'open'`) are accepted too.
 */
export const ListTasksOrderEnum = {
    Desc: 'desc',
    Asc: 'asc'
} as const;
export type ListTasksOrderEnum = typeof ListTasksOrderEnum[keyof typeof ListTasksOrderEnum];
