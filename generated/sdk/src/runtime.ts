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


// A type-only import: erased from the JavaScript, so runtime and models do not import each other.
import type { Problem } from './models/index.js';

export const BASE_PATH = "http://localhost".replace(/\/+$/, "");

const isBlob = (value: any) => typeof Blob !== 'undefined' && value instanceof Blob;

/**
 * This is the base class for all generated API classes.
 */
export class BaseAPI {

    private middleware: Middleware[];

    constructor(protected configuration = new Configuration()) {
        this.middleware = configuration.middleware;
    }

    withMiddleware<T extends BaseAPI>(this: T, ...middlewares: Middleware[]) {
        const next = this.clone<T>();
        next.middleware = next.middleware.concat(...middlewares);
        return next;
    }

    withPreMiddleware<T extends BaseAPI>(this: T, ...preMiddlewares: Array<Middleware['pre']>) {
        const middlewares = preMiddlewares.map((pre) => ({ pre }));
        return this.withMiddleware<T>(...middlewares);
    }

    withPostMiddleware<T extends BaseAPI>(this: T, ...postMiddlewares: Array<Middleware['post']>) {
        const middlewares = postMiddlewares.map((post) => ({ post }));
        return this.withMiddleware<T>(...middlewares);
    }

    protected async request(context: RequestOpts, options: RequestOptions = {}): Promise<Response> {
        const { url, init } = this.createFetchParams(context, options);
        const response = await this.fetchApi(url, init);
        if (response.status >= 200 && response.status < 300) {
            return response;
        }
        throw await ResponseError.from(response);
    }

    private createFetchParams(context: RequestOpts, options: RequestOptions) {
        let url = this.configuration.basePath + context.path;
        if (context.query !== undefined && Object.keys(context.query).length !== 0) {
            // only add the querystring to the URL if there are query parameters.
            // this is done to avoid urls ending with a "?" character which buggy webservers
            // do not handle correctly sometimes.
            url += '?' + this.configuration.queryParamsStringify(context.query);
        }
        const body = ((typeof FormData !== "undefined" && context.body instanceof FormData) || context.body instanceof URLSearchParams || isBlob(context.body))
	    ? context.body
	    : JSON.stringify(context.body);

        const headers = Object.assign({}, this.configuration.headers, context.headers, options.headers);
        const signal = requestSignal(context.method, url, options.signal, options.timeoutMs ?? this.configuration.timeoutMs);
        const init = {
            method: context.method,
            headers: headers,
            body,
            credentials: this.configuration.credentials,
            signal,
        };
        return { url, init };
    }

    private fetchApi = async (url: string, init: RequestInit) => {
        let fetchParams = { url, init };
        for (const middleware of this.middleware) {
            if (middleware.pre) {
                fetchParams = await middleware.pre({
                    fetch: this.fetchApi,
                    ...fetchParams,
                }) || fetchParams;
            }
        }
        let response: Response;
        try {
            response = await this.configuration.fetchApi(fetchParams.url, fetchParams.init);
        } catch (error) {
            // Aborted: fetch rejects with the signal's reason, the caller's own (an AbortError by
            // default) or the RequestTimeoutError the timeout aborted with. Anything else means
            // that no response came: fetch's bare TypeError becomes a FetchError that says where.
            if (fetchParams.init.signal?.aborted) throw error;
            throw new FetchError(fetchParams.init.method ?? 'GET', fetchParams.url, error);
        }
        for (const middleware of this.middleware) {
            if (middleware.post) {
                response = await middleware.post({
                    fetch: this.fetchApi,
                    url: fetchParams.url,
                    init: fetchParams.init,
                    // An event stream's body is read by the stream alone: a copy read by nobody would
                    // keep every message in memory, and one read would never end. Its head only.
                    response: isEventStream(response)
                        ? new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers })
                        : response.clone(),
                }) || response;
            }
        }
        return response;
    }

    /**
     * Create a shallow clone of `this` by constructing a new instance
     * and then shallow cloning data members.
     */
    private clone<T extends BaseAPI>(this: T): T {
        const constructor = this.constructor as any;
        const next = new constructor(this.configuration);
        next.middleware = this.middleware.slice();
        return next;
    }
};

/**
 * A response whose status is not 2xx. `problem` is its RFC 9457 problem document (with the
 * validation `errors` of a 400), or undefined when the body is not one (a proxy's error page).
 */
export class ResponseError extends Error {
    name: "ResponseError" = "ResponseError";
    constructor(public response: Response, public problem: Problem | undefined) {
        super(`${response.status} ${problem?.detail ?? problem?.title ?? response.statusText}`);
    }

    get status(): number {
        return this.response.status;
    }

    static async from(response: Response): Promise<ResponseError> {
        const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
        if (!/[/+]json$/.test(mediaType)) {
            return new ResponseError(response, undefined);
        }
        try {
            const body: unknown = await response.json();
            const isProblem = typeof body === 'object' && body !== null && typeof (body as Problem).status === 'number';
            return new ResponseError(response, isProblem ? body as Problem : undefined);
        } catch {
            return new ResponseError(response, undefined);
        }
    }
}

/**
 * No response came: the connection was refused or reset, the name did not resolve, or (in a
 * browser) the API's CORS policy refused this page's origin, which browsers report as a network
 * failure. `cause` is the error fetch threw (on Node, its own `cause` says why, e.g. ECONNREFUSED).
 */
export class FetchError extends Error {
    override name: string = "FetchError";
    constructor(public method: string, public url: string, cause: unknown, message?: string) {
        super(message ?? `${method} ${url} failed: ${describeCause(cause)}`, { cause });
    }
}

/** No complete response within `timeoutMs` (the `timeoutMs` of the Configuration or of the call); the request was aborted. */
export class RequestTimeoutError extends FetchError {
    override name: string = "RequestTimeoutError";
    constructor(method: string, url: string, public timeoutMs: number) {
        super(method, url, undefined, `${method} ${url} timed out after ${timeoutMs} ms`);
    }
}

/** Undici's "fetch failed" says nothing: the reason is in its cause (an AggregateError's message may be empty: then its code). */
function describeCause(cause: unknown): string {
    if (!(cause instanceof Error)) return String(cause);
    const reason = cause.cause instanceof Error ? cause.cause.message || (cause.cause as { code?: string }).code : undefined;
    return reason ? `${cause.message} (${reason})` : cause.message;
}

/**
 * The signal a request is sent with: the caller's, and a timeout that aborts with a
 * RequestTimeoutError, so that fetch and the reading of the body both reject with it.
 */
function requestSignal(method: string, url: string, signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
    if (timeoutMs === undefined || timeoutMs === Infinity) return signal;
    const timeout = new AbortController();
    // AbortSignal.timeout's timer keeps no Node process alive, unlike setTimeout's.
    AbortSignal.timeout(timeoutMs).addEventListener('abort', () => timeout.abort(new RequestTimeoutError(method, url, timeoutMs)), { once: true });
    return signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal]);
}

export class RequiredError extends Error {
    name: "RequiredError" = "RequiredError";
    constructor(public field: string, msg?: string) {
        super(msg);
    }
}

export const COLLECTION_FORMATS = {
    csv: ",",
    ssv: " ",
    tsv: "\t",
    pipes: "|",
};

// Not a DOM-only type, so that Node projects without the DOM library type-check; `fetch` itself fits it.
export type FetchAPI = (url: string, init: RequestInit) => Promise<Response>;
/** A token, or a function (sync or async) called before each request, e.g. one that returns a fresh session token. */
export type AccessToken = string | ((name?: string, scopes?: string[]) => string | Promise<string>);

export interface ConfigurationParameters {
    basePath?: string | undefined; // override base path
    fetchApi?: FetchAPI | undefined; // override for fetch implementation
    middleware?: Middleware[] | undefined; // middleware to apply before/after fetch requests
    queryParamsStringify?: ((params: HTTPQuery) => string) | undefined; // stringify function for query strings
    username?: string | undefined; // parameter for basic security
    password?: string | undefined; // parameter for basic security
    apiKey?: string | ((name: string) => string) | undefined; // parameter for apiKey security
    accessToken?: AccessToken | undefined; // parameter for bearer and oauth2 security
    headers?: HTTPHeaders | undefined; //header params we want to use on every request
    credentials?: RequestInit['credentials'] | undefined; //value for the credentials param we want to use on each request
    /** The most a request may take, until its body is read, in milliseconds; then it fails with a RequestTimeoutError. None by default. */
    timeoutMs?: number | undefined;
}

/** Per call, the last argument of every method. */
export interface RequestOptions {
    /** Cancels the request: the call then rejects with the signal's reason (an `AbortError` DOMException unless another was given to `abort()`). */
    signal?: AbortSignal | undefined;
    /** This call's timeout, instead of the Configuration's (`Infinity`: none). */
    timeoutMs?: number | undefined;
    /** Headers for this call, on top of the Configuration's. */
    headers?: HTTPHeaders | undefined;
}

export class Configuration {
    constructor(private configuration: ConfigurationParameters = {}) {}

    get basePath(): string {
        // Paths start with "/": a trailing slash on the base URL would double it.
        return this.configuration.basePath != null ? this.configuration.basePath.replace(/\/+$/, "") : BASE_PATH;
    }

    get fetchApi(): FetchAPI {
        // The global fetch (Node 18+, browsers), looked up at call time; there is no `window` on Node.
        return this.configuration.fetchApi || ((input, init) => fetch(input, init));
    }

    get middleware(): Middleware[] {
        return this.configuration.middleware || [];
    }

    get queryParamsStringify(): (params: HTTPQuery) => string {
        return this.configuration.queryParamsStringify || querystring;
    }

    get username(): string | undefined {
        return this.configuration.username;
    }

    get password(): string | undefined {
        return this.configuration.password;
    }

    get apiKey(): ((name: string) => string) | undefined {
        const apiKey = this.configuration.apiKey;
        if (apiKey) {
            return typeof apiKey === 'function' ? apiKey : () => apiKey;
        }
        return undefined;
    }

    get accessToken(): ((name: string, scopes?: string[]) => string | Promise<string>) | undefined {
        const accessToken = this.configuration.accessToken;
        if (accessToken) {
            return typeof accessToken === 'function' ? accessToken : () => accessToken;
        }
        return undefined;
    }

    get headers():  HTTPHeaders | undefined {
        return this.configuration.headers;
    }

    get credentials(): RequestInit['credentials'] | undefined {
        return this.configuration.credentials;
    }

    get timeoutMs(): number | undefined {
        return this.configuration.timeoutMs;
    }
}

export type Json = any;
export type HTTPMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'HEAD';
export type HTTPHeaders = { [key: string]: string };
export type HTTPQuery = { [key: string]: string | number | null | boolean | Array<string | number | null | boolean> | HTTPQuery };
export type HTTPBody = Json | FormData | URLSearchParams;
export type ModelPropertyNaming = 'camelCase' | 'snake_case' | 'PascalCase' | 'original';

export interface FetchParams {
    url: string;
    init: RequestInit;
}

export interface RequestOpts {
    path: string;
    method: HTTPMethod;
    headers: HTTPHeaders;
    query?: HTTPQuery;
    body?: HTTPBody;
}

export function exists(json: any, key: string) {
    const value = json[key];
    return value !== null && value !== undefined;
}

export function querystring(params: HTTPQuery, prefix: string = ''): string {
    return Object.keys(params)
        .map((key) => {
            const fullKey = prefix + (prefix.length ? `[${key}]` : key);
            const value = params[key];
            if (value instanceof Array) {
                const multiValue = value.map(singleValue => encodeURIComponent(String(singleValue)))
                    .join(`&${encodeURIComponent(fullKey)}=`);
                return `${encodeURIComponent(fullKey)}=${multiValue}`;
            }
            if (value instanceof Object) {
                return querystring(value as HTTPQuery, fullKey);
            }
            return `${encodeURIComponent(fullKey)}=${encodeURIComponent(String(value))}`;
        })
        .filter(part => part.length > 0)
        .join('&');
}

export function mapValues(data: any, fn: (item: any) => any) {
  return Object.keys(data).reduce(
    (acc, key) => ({ ...acc, [key]: fn(data[key]) }),
    {}
  );
}

export function canConsumeForm(consumes: Consume[]): boolean {
    for (const consume of consumes) {
        if ('multipart/form-data' === consume.contentType) {
            return true;
        }
    }
    return false;
}

export interface Consume {
    contentType: string
}

export interface RequestContext {
    fetch: FetchAPI;
    url: string;
    init: RequestInit;
}

export interface ResponseContext {
    fetch: FetchAPI;
    url: string;
    init: RequestInit;
    response: Response;
}

export interface Middleware {
    pre?(context: RequestContext): Promise<FetchParams | void>;
    post?(context: ResponseContext): Promise<Response | void>;
}

export interface ApiResponse<T> {
    raw: Response;
    value(): Promise<T>;
}

export interface ResponseTransformer<T> {
    (json: any): T;
}

export class JSONApiResponse<T> {
    constructor(public raw: Response, private transformer: ResponseTransformer<T> = (jsonValue: any) => jsonValue) {}

    async value(): Promise<T> {
        return this.transformer(await this.raw.json());
    }
}

export class VoidApiResponse {
    constructor(public raw: Response) {}

    async value(): Promise<void> {
        return undefined;
    }
}

export class BlobApiResponse {
    constructor(public raw: Response) {}

    async value(): Promise<Blob> {
        return await this.raw.blob();
    };
}

export class TextApiResponse {
    constructor(public raw: Response) {}

    async value(): Promise<string> {
        return await this.raw.text();
    };
}

function isEventStream(response: Response): boolean {
    return (response.headers.get('content-type') ?? '').split(';')[0].trim() === 'text/event-stream';
}

/** One Server-Sent Events message: its `event` type (`message` when it names none), the last `id` sent, its `data`. */
export interface EventStreamMessage {
    event: string;
    id: string | undefined;
    data: string;
}

/**
 * Reads `text/event-stream` as the HTML standard says (lines ending in CR, LF or CRLF; comments;
 * `event`, `data`, `id` fields; a message per blank line), text chunk by text chunk.
 */
export class EventStreamParser {
    private buffer = '';
    private started = false;
    /** The last chunk ended with a CR: an LF first in the next one ends no line (it is the CR's). */
    private afterCarriageReturn = false;
    private event = '';
    private data: string[] = [];
    /** The `id` of the message being read. */
    private id: string | undefined;
    /**
     * The id of the last message read to its end (a message of an `id` alone included, which is
     * no event): what a reconnection sends as `Last-Event-ID`.
     */
    lastEventId: string | undefined;

    constructor(lastEventId?: string) {
        this.lastEventId = lastEventId;
        this.id = lastEventId;
    }

    /** The messages `chunk` completes. */
    push(chunk: string): EventStreamMessage[] {
        this.buffer += this.afterCarriageReturn && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
        this.afterCarriageReturn = false;
        if (!this.started && this.buffer.length > 0) {
            this.started = true;
            if (this.buffer.startsWith('\uFEFF')) this.buffer = this.buffer.slice(1);
        }
        const messages: EventStreamMessage[] = [];
        const lineEnd = /\r\n|\r|\n/g;
        let start = 0;
        for (let match = lineEnd.exec(this.buffer); match; match = lineEnd.exec(this.buffer)) {
            const message = this.line(this.buffer.slice(start, match.index));
            if (message) messages.push(message);
            start = match.index + match[0].length;
            this.afterCarriageReturn = match[0] === '\r' && start === this.buffer.length;
        }
        this.buffer = this.buffer.slice(start);
        return messages;
    }

    private line(line: string): EventStreamMessage | undefined {
        if (line === '') {
            this.lastEventId = this.id;
            const message = this.data.length === 0 ? undefined : { event: this.event || 'message', id: this.lastEventId, data: this.data.join('\n') };
            this.event = '';
            this.data = [];
            return message;
        }
        if (line.startsWith(':')) return undefined;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') this.event = value;
        else if (field === 'data') this.data.push(value);
        else if (field === 'id' && !value.includes('\u0000')) this.id = value;
        return undefined;
    }
}

/** The server says events may have been missed (a `reset` message: its history no longer reaches the stream's `Last-Event-ID`), and no `onReset` was given. */
export class EventStreamResetError extends Error {
    override name: string = "EventStreamResetError";
    /** The id the stream goes on from: a new stream from it, once everything was read again, misses nothing. */
    constructor(public lastEventId: string) {
        super(`the server's history no longer reaches this stream's last event: read everything again, then follow from ${lastEventId}`);
    }
}

/** The answer of an event stream's one connection: its messages as they come, without reconnecting. */
export class EventStreamApiResponse<T> {
    constructor(public raw: Response, private transformer: ResponseTransformer<T>) {}

    /** A message's event, from its data. */
    parse(message: EventStreamMessage): T {
        return this.transformer(JSON.parse(message.data));
    }

    /** This connection's text, chunk by chunk, as it comes; reading it fails with a FetchError when the connection is lost. */
    async *text(): AsyncGenerator<string, void, undefined> {
        if (!isEventStream(this.raw)) throw new Error(`${this.raw.url} answered ${this.raw.headers.get('content-type')}, not text/event-stream`);
        const reader = this.raw.body!.getReader();
        const decoder = new TextDecoder();
        try {
            for (;;) {
                let read: { done: boolean; value?: Uint8Array | undefined };
                try {
                    read = await reader.read();
                } catch (cause) {
                    // Aborted (the signal's reason), or lost: no answer to the rest, as fetch's own failures.
                    if (cause instanceof Error && cause.name === 'AbortError') throw cause;
                    throw new FetchError('GET', this.raw.url, cause);
                }
                if (read.done) return;
                yield decoder.decode(read.value, { stream: true });
            }
        } finally {
            reader.cancel().catch(() => undefined);
        }
    }

    /** This connection's events, until the server ends it (a `reset` throws an EventStreamResetError). */
    async value(): Promise<AsyncIterable<T>> {
        const response = this;
        return {
            async *[Symbol.asyncIterator]() {
                const parser = new EventStreamParser();
                for await (const text of response.text()) {
                    for (const message of parser.push(text)) {
                        if (message.event === 'reset') throw new EventStreamResetError(message.id ?? '');
                        yield response.parse(message);
                    }
                }
            },
        };
    }
}

/** How an event stream reconnects, and what it does when events were missed; the call's own options besides. */
export interface EventStreamOptions {
    /** Ends the stream: the iteration then throws the signal's reason (an `AbortError` unless another was given). */
    signal?: AbortSignal | undefined;
    /** Headers for each of its requests, on top of the Configuration's. */
    headers?: HTTPHeaders | undefined;
    /** The wait before reconnecting: `initialDelayMs` (1 s) after a lost connection, doubled after each failed attempt up to `maxDelayMs` (30 s), each wait a random share of it above half; at least the `Retry-After` of a 429 or 503. */
    retry?: { initialDelayMs?: number | undefined; maxDelayMs?: number | undefined } | undefined;
    /** A connection that brings nothing for this long (not even the heartbeat the server sends every 15 s) is given up and opened again: 45 s by default. */
    idleTimeoutMs?: number | undefined;
    /**
     * Called, and awaited, when the server says events may have been missed (its history no longer
     * reaches the stream's last event): read everything again (the changes feed), then the stream
     * goes on after `lastEventId`. Without it, the iteration throws an EventStreamResetError.
     */
    onReset?: ((lastEventId: string) => void | Promise<void>) | undefined;
}

const RETRY_DEFAULTS = { initialDelayMs: 1_000, maxDelayMs: 30_000 };
const IDLE_TIMEOUT_MS = 45_000;

/** Whether a failed attempt to connect is worth another: no answer, too many requests, the server unavailable. */
function isRetryable(error: unknown): boolean {
    if (error instanceof FetchError) return true;
    return error instanceof ResponseError && (error.status === 429 || error.status >= 500);
}

/** The `Retry-After` of a refusal, in milliseconds (0 without one). */
function retryAfterMs(error: unknown): number {
    const seconds = error instanceof ResponseError ? Number(error.response.headers.get('retry-after')) : NaN;
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : 0;
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const aborted = () => {
            clearTimeout(timer);
            reject(signal!.reason);
        };
        const timer = setTimeout(() => {
            signal?.removeEventListener('abort', aborted);
            resolve();
        }, ms);
        signal?.addEventListener('abort', aborted, { once: true });
    });
}

/** A connection given up for its silence. */
class IdleConnection extends Error {}

/**
 * A live stream of events (an operation answering `text/event-stream`), as an async iterable
 * that reconnects: when the connection is lost, the server ends it (restarting, say) or it stays
 * silent past `idleTimeoutMs`, it connects again, with backoff, and with the id of the last event
 * it delivered as `Last-Event-ID`, so that the server goes on after it: no event missed, none
 * repeated. It stops when `signal` aborts (throwing its reason) or the loop reading it ends
 * (`break`); a refusal that no retry can mend (400, 401, 403, 404) is thrown as a ResponseError.
 */
export class EventStream<T> implements AsyncIterable<T> {
    /** The id of the last event delivered (or of a reset handled): where the next connection goes on from. */
    lastEventId: string | undefined;

    constructor(
        private readonly connect: (lastEventId: string | undefined, options: RequestOptions) => Promise<EventStreamApiResponse<T>>,
        lastEventId: string | undefined,
        private readonly options: EventStreamOptions = {},
    ) {
        this.lastEventId = lastEventId;
    }

    async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
        const { signal, headers, onReset } = this.options;
        const initialDelayMs = this.options.retry?.initialDelayMs ?? RETRY_DEFAULTS.initialDelayMs;
        const maxDelayMs = this.options.retry?.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
        const idleTimeoutMs = this.options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
        let failures = 0;
        for (;;) {
            signal?.throwIfAborted();
            const connection = new AbortController();
            const abort = () => connection.abort(signal?.reason);
            signal?.addEventListener('abort', abort, { once: true });
            let idle: ReturnType<typeof setTimeout> | undefined;
            const stillAlive = () => {
                clearTimeout(idle);
                idle = setTimeout(() => connection.abort(new IdleConnection()), idleTimeoutMs);
            };
            let waitMs = initialDelayMs;
            try {
                stillAlive();
                // The Configuration's timeout bounds a whole answer, which a stream never completes: off.
                const response = await this.connect(this.lastEventId, { signal: connection.signal, headers, timeoutMs: Infinity });
                failures = 0;
                const parser = new EventStreamParser(this.lastEventId);
                for await (const text of response.text()) {
                    stillAlive();
                    for (const message of parser.push(text)) {
                        if (message.event === 'reset') {
                            const from = message.id ?? '';
                            if (!onReset) throw new EventStreamResetError(from);
                            await onReset(from);
                            this.lastEventId = from;
                            continue;
                        }
                        const event = response.parse(message);
                        this.lastEventId = message.id;
                        yield event;
                    }
                    // Every message of the chunk delivered: its last id is this stream's, one that
                    // carried no event among them (the server's position, sent first).
                    this.lastEventId = parser.lastEventId;
                }
                // The server ended the stream (it is stopping, say): connect again.
            } catch (error) {
                if (signal?.aborted) throw signal.reason;
                const silent = connection.signal.reason instanceof IdleConnection;
                if (!silent && !isRetryable(error)) throw error;
                failures += 1;
                waitMs = Math.max(Math.min(maxDelayMs, initialDelayMs * 2 ** (failures - 1)), retryAfterMs(error));
            } finally {
                clearTimeout(idle);
                signal?.removeEventListener('abort', abort);
                connection.abort();
            }
            await pause(waitMs * (0.5 + Math.random() / 2), signal);
        }
    }
}
