/* tslint:disable */
/* eslint-disable */
/**
 * Todo Tasks API
 * The backend a todo app\'s frontend calls to manage the signed-in user\'s tasks.  **Authentication.** Every `/api` operation needs `Authorization: Bearer <JWT>`. The token\'s `sub` claim is the user id; it must equal the `{user_id}` in the path (otherwise 403). Another user\'s task is indistinguishable from a missing one (404).  **Errors.** Every error is an RFC 9457 `application/problem+json` document. Validation failures list each problem in `errors`, with the `location` (body, query, path or header) and a JSON `pointer` to the offending value inside it. So are the answers to requests refused before any operation is reached, which no operation lists: 400 for a request that is not well-formed HTTP/1.1 (a control character in a header, a duplicate `Content-Length`), 408 when the request is not received in full within the server\'s request timeout, 413 for a `Content-Length` beyond any number the server reads, 414 for a request line and 431 for a header section beyond 16 KiB; these close the connection.  **Database unavailable, server overloaded.** Every operation that needs the database answers 503 with `Retry-After` while it cannot be reached or used (down, refusing connections, every pooled connection busy, a statement timed out or cancelled): retry after that many seconds. So does every `/api` operation, at once and before reading the request, while the server is overloaded (more requests arriving than it answers, so that they would wait longer than it allows); the probes and documents never do.  **Request ids.** A safe `X-Request-Id` (1–128 characters of `A-Z a-z 0-9 . _ : -`) is kept when it comes from a proxy the server trusts (`TRUST_PROXY`); otherwise the server makes its own, so that no client chooses the id its requests are logged under. It is echoed in the `X-Request-Id` response header and in error bodies as `request_id`.  **Headers on every response.** Whatever the operation and the status, every response carries `X-Request-Id`. When the request\'s `Origin` is one of the server\'s `CORS_ORIGINS`, every response also carries `Access-Control-Allow-Origin` with that origin, so that a browser app there may read it, and `Access-Control-Expose-Headers` naming the headers it may read besides the safelisted ones (`ETag`, `Location`, `RateLimit`, `RateLimit-Policy`, `Retry-After`, `X-Request-Id`); any other origin gets no CORS header. With `CORS_ORIGINS` set, every response says `Vary: Origin`. OpenAPI 3.0 cannot declare a header for every response, so these are described here, once, and on no response. The headers that depend on the response (`ETag`, `Location`, `RateLimit`, `RateLimit-Policy`, `Retry-After`, `WWW-Authenticate`) are declared on each response that carries them.  **Concurrency.** Every task and list response carries a strong `ETag`. Send it back in `If-Match` on PUT, PATCH, DELETE, complete and move to write only if nobody changed the task (or list) since you read it (otherwise 412, and nothing is written); `If-None-Match` on GET answers 304 while it is unchanged (for `listLists` and `listChanges`, while the answer is). A server run with `REQUIRE_IF_MATCH=true` refuses those writes without `If-Match` (428). Bulk update, complete and delete actions take the same condition in `if_match`.  **Safe retries.** `Idempotency-Key` (the IETF httpapi draft) on create, complete and bulk: the first response to a key is kept for 24 hours, and a retry with the same key and the same request gets that response again (same status, body and headers) without writing anything. The same key with another request is a 422; a retry while the first is still running is a 409. Keys belong to the user who sent them. Only successful responses are kept: after an error the key is free and a retry runs again. What is kept is bounded: a bulk answer is kept compact (each action\'s status with its task\'s id or its problem), so its replay shows each task as it is at the replay, which is the first answer\'s task unless the task changed since (then its current state and `etag`; a task deleted since leaves its result with the status only); every other replay is the first response byte for byte. A keyed request whose answer would be larger than the server keeps (`IDEMPOTENCY_MAX_ANSWER_BYTES`, 64 KiB by default) is refused with 413 before anything is written, and each user holds at most a quota of live keys (see Quotas).  **Rate limits.** Requests to `/api` are counted per client address before authentication and per user after it, over a window. Responses carry the IETF `RateLimit-Policy` and `RateLimit` headers; beyond the limit the answer is 429 with `Retry-After`. In the per-user limit a search (`listTasks` with `q`) counts as 10 requests and a bulk request as one per action (at most the whole limit). Each user may also have only a few requests running at once (4 per server process by default): beyond that the answer is an immediate 429 with `Retry-After: 1` and the policy `\"in-flight\"`; and only one search or bulk request at a time in the whole server, whichever process runs it (else policy `\"in-flight-costly\"`), so that one user\'s most expensive work cannot take the server\'s cores from everyone else. A refused request does no work: retry after `Retry-After` seconds.  **Caching.** Every `/api` response is `Cache-Control: no-store`.  **Timestamps** are RFC 3339 in UTC with milliseconds, e.g. `2026-11-21T09:30:00.000Z`.  **Unknown query parameters** are rejected with 400 on every operation, so that a typo in a filter is never silently ignored.  **This document** is served by the API itself at `/openapi.json` and `/openapi.yaml`, and rendered at `/docs`.  # Quotas  Each user\'s holdings are bounded, so that one account cannot fill the service\'s disk. A write that would go past a quota is refused with 409, `type` `/docs#section/Quotas` and a `quota` member naming the quota, its limit and the user\'s current use; nothing of the request is written (a bulk request counts every create in it). Each server sets its limits; `off` removes one. The defaults:  | quota | counts | default | |---|---|---| | `tasks` | tasks held, open and completed | 10,000 | | `stored_bytes` | UTF-8 bytes of every task\'s title, description and tags | 52,428,800 (50 MiB) | | `idempotency_keys` | `Idempotency-Key` answers kept (each for 24 hours) | 1,000 | | `lists` | lists held | 100 | | `tasks_per_list` | tasks in one list, not in the trash | 5,000 | | `subtasks_per_parent` | direct subtasks of one task | 100 |  Tasks in the trash still count against `tasks` and `stored_bytes` until they are purged: deleting a task (or clearing completed ones) moves it to the trash, and purging it or emptying the trash frees room at once; the trash purges each item by itself `TRASH_RETENTION_DAYS` (30 by default) after its deletion. Deleting a task frees room in `tasks_per_list` and `subtasks_per_parent` at once (`lists` is freed by deleting a list). An `idempotency_keys` refusal carries `Retry-After`: the seconds until the oldest kept answer expires (an expired key no longer counts). It refuses only a new key: a retry of a kept one is still replayed. 
 *
 * The version of the OpenAPI document: 0.1.0
 * 
 *
 * NOTE: This class is auto generated by OpenAPI Generator (https://openapi-generator.tech).
 * https://openapi-generator.tech
 * Do not edit the class manually.
 */

import { mapValues } from '../runtime.js';
/**
 * A reminder of the task, as defined (`at`, or `before_due` with `time` on a task due on a date;
 * the others null), and when it fires next (`fires_at`).
 * 
 * **Once per occurrence.** A reminder fires once, at its instant for the current occurrence: the
 * server records a `reminder.fired` event (`data` holds the task and the reminder), which the
 * live stream and webhooks deliver, and sets its `fires_at` to null. That changes the task: its
 * `updated_at` and ETag change, and the changes feed (and a `task.updated` event before the
 * `reminder.fired` one) shows it. Reminders fire within seconds of their instant while the server
 * runs; those that came due while it did not fire when it is back, once each.
 * 
 * **Completing, deleting, reopening, restoring.** Completing a task, or moving it to the trash
 * (deleting it, clearing completed tasks, deleting its list), cancels its pending reminders.
 * Reopening it, or restoring it from the trash, arms again those whose instant is still ahead;
 * those that passed meanwhile never fire. Completing an occurrence of a recurring task gives the
 * next occurrence the same reminders (same ids), armed for that occurrence's due. Moving the due
 * moves the reminders relative to it (see `ReminderDefinitions`).
 * @export
 * @interface Reminder
 */
export interface Reminder {
    /**
     * The reminder's id, unique within its task. The next occurrence of a recurring task carries
     * its predecessor's reminders with their ids.
     * @type {string}
     * @memberof Reminder
     */
    id: string;
    /**
     * The instant the reminder fires, in RFC 3339 with its offset (`2026-12-04T09:00:00+01:00`), read
     * back exactly as sent. It must be in years 1 to 9999 once converted to UTC, which no pattern can
     * say (a 400 otherwise). It names one instant: each occurrence of a recurring task that is open
     * then is reminded, and no later one. Null (or absent): a reminder relative to the due.
     * @type {string}
     * @memberof Reminder
     */
    at: string | null;
    /**
     * How long before the task's due the reminder fires: an ISO 8601 duration in weeks, days, hours,
     * minutes and seconds (`PT15M`, `PT1H30M`, `P1D`, `P1W`; not years or months, whose length
     * varies), from zero (`PT0S`, at the due) to 30 days (`P30D`), which no pattern can bound: a
     * longer one is a 400. Weeks and days are calendar days in the task's `time_zone` (a reminder
     * `P1D` before a due at 09:00 fires at 09:00 the day before, across a change of daylight saving
     * time); hours, minutes and seconds are elapsed time. On a task due on a date (all day), whole
     * days only (`P0D` is the day itself), with `time`. Null (or absent): a reminder at an instant.
     * @type {string}
     * @memberof Reminder
     */
    before_due: string | null;
    /**
     * A time of day, `HH:MM` on a 24-hour clock (`00:00` to `23:59`), in the task's `time_zone` (UTC
     * for a task without one). A time the clocks skip that day (in a change to daylight saving time)
     * moves on by the gap, `02:30` becoming `03:30`; a time they repeat is its first occurrence.
     * Only for a reminder relative to the due of a task due on a date; null (or absent) otherwise.
     * @type {string}
     * @memberof Reminder
     */
    time: string | null;
    /**
     * When it fires for the current occurrence (RFC 3339 in UTC with milliseconds); null once it
     * has fired, when its instant had passed when it was written or re-armed, and while the task
     * is completed or in the trash.
     * @type {Date}
     * @memberof Reminder
     */
    fires_at: Date | null;
}

export function ReminderFromJSON(json: any): Reminder {
    return ReminderFromJSONTyped(json, false);
}

export function ReminderFromJSONTyped(json: any, ignoreDiscriminator: boolean): Reminder {
    if ((json === undefined) || (json === null)) {
        return json;
    }
    return {
        
        'id': json['id'],
        'at': json['at'],
        'before_due': json['before_due'],
        'time': json['time'],
        'fires_at': (json['fires_at'] === null ? null : new Date(json['fires_at'])),
    };
}

export function ReminderToJSON(value?: Reminder | null): any {
    if (value === undefined) {
        return undefined;
    }
    if (value === null) {
        return null;
    }
    return {
        
        'id': value.id,
        'at': value.at,
        'before_due': value.before_due,
        'time': value.time,
        'fires_at': (value.fires_at === null ? null : value.fires_at.toISOString()),
    };
}


