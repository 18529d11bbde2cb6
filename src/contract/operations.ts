import type { Logger } from 'pino';
import type { components, operations } from '../../generated/api.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import type { DomainError } from './domain-error.js';
import type { ResponseStream } from './response-stream.js';

export type ProblemDocument = components['schemas']['Problem'];

/** Every operationId in the spec. */
export type OperationId = keyof operations;

/**
 * Operations the spec does not secure with `bearerAuth` (no user token, so no user): the probes and
 * documents (`security: []`), and the metrics, which have a token of their own (`metricsToken`,
 * checked by src/metrics/metrics-access.ts). Checked against the spec when the app starts.
 */
export const PUBLIC_OPERATIONS = [
  'getHealth',
  'getReadiness',
  'getMetrics',
  'getOpenApiJson',
  'getOpenApiYaml',
  'getDocs',
] as const;
export type PublicOperationId = (typeof PUBLIC_OPERATIONS)[number];

type Operation<K extends OperationId> = operations[K];
type Section<T, Name extends string> = T extends { [P in Name]?: infer S }
  ? [S] extends [never]
    ? undefined
    : NonNullable<S>
  : undefined;
type JsonBody<T> = T extends { content: infer C }
  ? C extends Record<string, unknown>
    ? C[keyof C]
    : undefined
  : undefined;
type RequestBody<K extends OperationId> =
  Operation<K> extends { requestBody: infer B }
    ? JsonBody<B>
    : Operation<K> extends { requestBody?: infer B }
      ? JsonBody<NonNullable<B>> | undefined
      : undefined;

/** The statuses a handler answers with itself; 304 is the answer to a met `If-None-Match`, not an error. */
type SuccessStatus<K extends OperationId> = Extract<keyof Operation<K>['responses'], 200 | 201 | 202 | 204 | 207 | 304>;

/** What a handler receives: plain, validated values; never `req` or `res`. */
export interface OperationInput<K extends OperationId> {
  readonly path: Section<Operation<K>['parameters'], 'path'>;
  readonly query: Section<Operation<K>['parameters'], 'query'>;
  /** The header parameters the spec declares for the operation, keyed as it names them (`If-Match`). */
  readonly headers: Section<Operation<K>['parameters'], 'header'>;
  readonly body: RequestBody<K>;
  /** The request's logger (carries the request id), made when first read: read it only to write a line. */
  readonly log: Logger;
  /** The problem document of an error, as the error response would carry it, for those a handler puts in its own answer (bulk results). */
  readonly problemFor: (error: DomainError) => ProblemDocument;
  /** The signed-in user; absent only for public operations. */
  readonly user: K extends PublicOperationId ? undefined : AuthenticatedUser;
}

/** The content of a success response: a JSON body, or, for an event stream (`text/event-stream`), the stream that writes it. */
type Content<R> = R extends { content: { 'text/event-stream': unknown } }
  ? { stream: ResponseStream }
  : { body: JsonBody<R> };

/** What a handler returns: one of the operation's success responses, exactly as the spec types it. */
export type OperationResult<K extends OperationId> = {
  [S in SuccessStatus<K>]: {
    status: S;
    headers?: Record<string, string>;
  } & Content<Operation<K>['responses'][S]>;
}[SuccessStatus<K>];

export type OperationHandler<K extends OperationId> = (input: OperationInput<K>) => Promise<OperationResult<K>>;

/** One handler per operationId: a spec operation without a handler fails to compile. */
export type OperationHandlers = { [K in OperationId]: OperationHandler<K> };
