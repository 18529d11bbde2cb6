import { parseYaml } from '@redocly/openapi-core';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { deref, loadContract, OPERATION_METHODS, templateOf, type Json } from './contract.js';

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const spec = loadContract();
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec, 'spec');

const METHODS = new Set(OPERATION_METHODS);
const EVENT_STREAM = 'text/event-stream';

const resolve = (node: Json): Json => deref(spec, node);

const validators = new Map<string, ValidateFunction>();
function validatorFor(ref: string): ValidateFunction {
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: `spec${ref}` });
    validators.set(ref, validate);
  }
  return validate;
}

export interface ObservedResponse {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  /** The body was left out on purpose (a HEAD request): only status and headers are checked. */
  readonly bodyless?: boolean;
}

/** Statuses with which the server answers a request that matches no operation of the spec. */
const OUTSIDE_THE_SPEC = new Set([400, 404, 405]);

/**
 * Throws unless the response is one the contract allows: a documented status of the matched
 * operation, with its documented headers, media type and body schema. A request that matches no
 * operation must have been refused (404, 405, or 400 for a path that is not even well-formed)
 * with a problem document: the server answers on no route the spec does not declare.
 * Returns the matched operation's id, `undefined` for a request outside the spec.
 */
export function assertConformsToSpec(response: ObservedResponse): string | undefined {
  const where = `${response.method} ${response.path} -> ${response.status}`;
  if (response.method === 'HEAD') {
    // Answered as GET without a body: the GET response's status and headers must conform.
    if (response.body !== undefined) throw new Error(`${where}: HEAD response with a body`);
    return assertConformsToSpec({ ...response, method: 'GET', body: undefined, bodyless: true });
  }
  const template = templateOf(spec, response.path);
  const operation =
    template === undefined ? undefined : (spec.paths[template]![response.method.toLowerCase()] as Json | undefined);
  if (!operation || !METHODS.has(response.method.toLowerCase())) {
    if (!OUTSIDE_THE_SPEC.has(response.status)) throw new Error(`${where}: answered outside the spec's operations`);
    if (!response.bodyless) assertBody(where, response, '#/components/schemas/Problem', 'application/problem+json');
    return undefined;
  }
  const operationId = String(operation.operationId);
  const documented = (operation.responses as Record<string, Json>)[String(response.status)];
  if (!documented) throw new Error(`${where}: status not documented for ${operationId}`);
  const definition = resolve(documented);
  // Headers the spec marks required must be sent; any documented header that is sent must match its schema.
  for (const [name, reference] of Object.entries((definition.headers as Record<string, Json> | undefined) ?? {})) {
    const header = resolve(reference);
    const value = response.headers.get(name);
    if (value === null) {
      if (header.required === true) throw new Error(`${where}: required header ${name} missing`);
      continue;
    }
    // Resolved: a header's schema may be a named one (ETag's is the EntityTag a bulk result carries too).
    const schema = resolve((header.schema ?? {}) as Json) as { pattern?: string; maxLength?: number };
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      throw new Error(`${where}: header ${name} "${value}" does not match ${schema.pattern}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      throw new Error(`${where}: header ${name} longer than ${schema.maxLength}`);
  }
  const content = definition.content as Record<string, Json> | undefined;
  if (!content) {
    if (response.body !== undefined) throw new Error(`${where}: body sent where the spec documents none`);
    return operationId;
  }
  const mediaType = mediaTypeOf(response.headers);
  const media = content[mediaType];
  if (!media) throw new Error(`${where}: content type ${mediaType} not documented`);
  if (response.bodyless) return operationId;
  const schema = media.schema as Json;
  if (typeof schema.$ref !== 'string') throw new Error(`${where}: response schema is not a named schema`);
  assertBody(where, response, schema.$ref, mediaType);
  return operationId;
}

/** The media type of a response, without parameters (`application/json; charset=utf-8` -> `application/json`). */
export function mediaTypeOf(headers: Headers): string {
  return (headers.get('content-type') ?? '').split(';')[0]!.trim();
}

export interface SpecOperation {
  readonly operationId: string;
  readonly method: string;
  /** The path template, e.g. `/api/{user_id}/tasks/{task_id}`. */
  readonly path: string;
  /** Declared with `security: []`. */
  readonly isPublic: boolean;
  /** The request body's media types, in the spec's order (empty without a body). */
  readonly requestMediaTypes: string[];
  /** The first example of the first media type's request body, if the spec gives one. */
  readonly requestExample: unknown;
  /** The documented statuses, e.g. `['200', '400']`. */
  readonly statuses: string[];
  /** The shared response (under components/responses) each status refers to, e.g. `{ '503': 'ServiceUnavailable' }`. */
  readonly sharedResponses: Record<string, string | undefined>;
  /** Whether it answers with an event stream (`text/event-stream`), which stays open: sent with test/helpers/event-stream.ts, not `request`. */
  readonly streams: boolean;
}

/** Every operation the spec declares. */
export function specOperations(): SpecOperation[] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => ({
        operationId: String(operation.operationId),
        method: method.toUpperCase(),
        path,
        isPublic: ((operation.security ?? spec.security) as unknown[]).length === 0,
        requestMediaTypes: Object.keys(requestContent(operation)),
        requestExample: firstExample(Object.values(requestContent(operation))[0]),
        statuses: Object.keys(operation.responses as Json),
        streams: Object.values(operation.responses as Record<string, Json>).some(
          (response) => EVENT_STREAM in ((resolve(response).content as Json | undefined) ?? {}),
        ),
        sharedResponses: Object.fromEntries(
          Object.entries(operation.responses as Record<string, Json>).map(([status, response]) => [
            status,
            typeof response.$ref === 'string' ? response.$ref.replace('#/components/responses/', '') : undefined,
          ]),
        ),
      })),
  );
}

function requestContent(operation: Json): Record<string, Json> {
  return ((operation.requestBody as Json | undefined)?.content ?? {}) as Record<string, Json>;
}

function firstExample(media: Json | undefined): unknown {
  if (media === undefined) return undefined;
  if ('example' in media) return media.example;
  return Object.values((media.examples ?? {}) as Record<string, Json>)[0]?.value;
}

/** A response body as the checks read it: JSON and YAML parsed, other media types as text, nothing as `undefined`. */
export function parseBody(text: string, headers: Headers): unknown {
  if (text.length === 0) return undefined;
  const mediaType = mediaTypeOf(headers);
  if (/[/+]json$/.test(mediaType)) return JSON.parse(text);
  return /[/+]yaml$/.test(mediaType) ? parseYaml(text) : text;
}

/** Every operation × status the spec documents, as `operationId status`. */
export function documentedResponses(): Set<string> {
  return new Set(
    specOperations().flatMap(({ operationId, statuses }) => statuses.map((status) => `${operationId} ${status}`)),
  );
}

function assertBody(where: string, response: ObservedResponse, ref: string, mediaType: string): void {
  const actual = mediaTypeOf(response.headers);
  if (actual !== mediaType) throw new Error(`${where}: content type ${actual}, expected ${mediaType}`);
  if (mediaType === EVENT_STREAM) return assertEventStream(where, response.body, ref);
  const validate = validatorFor(ref);
  if (!validate(response.body)) {
    throw new Error(
      `${where}: body does not match ${ref}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(response.body)}`,
    );
  }
}

/** Throws unless `value` matches the spec's schema at `ref` (`#/components/schemas/Event`): for what no answer carries whole. */
export function assertMatchesSchema(where: string, ref: string, value: unknown): void {
  const validate = validatorFor(ref);
  if (!validate(value)) throw new Error(`${where}: not a ${ref.split('/').at(-1)}: ${ajv.errorsText(validate.errors)}`);
}

/** Throws unless `body` is a problem document as the spec defines one (for answers no operation gives). */
export function assertProblemDocument(where: string, body: unknown): void {
  assertMatchesSchema(where, '#/components/schemas/Problem', body);
}

/** A message of an event stream as a test received it (test/helpers/event-stream.ts). */
interface StreamMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * An event stream's body is the messages received (undefined when no test read them, as the SDK's
 * responses): each one's `data` is the schema's (an Event) under its own `id` and `type`, but for a
 * `reset`, whose `data` is `{}` (the operation's description).
 */
function assertEventStream(where: string, body: unknown, ref: string): void {
  if (body === undefined) return;
  if (!Array.isArray(body)) throw new Error(`${where}: an event stream's messages expected`);
  const validate = validatorFor(ref);
  for (const { id, event, data } of body as StreamMessage[]) {
    if (event === 'reset') {
      if (data !== '{}' || !/^\d+$/.test(id ?? '')) throw new Error(`${where}: a reset message with ${id} ${data}`);
      continue;
    }
    const parsed = JSON.parse(data) as { id?: string; type?: string };
    if (!validate(parsed))
      throw new Error(`${where}: message data does not match ${ref}: ${ajv.errorsText(validate.errors)}\n${data}`);
    if (parsed.id !== id || parsed.type !== event)
      throw new Error(
        `${where}: message id ${id} / event ${event} differ from its data's ${parsed.id} / ${parsed.type}`,
      );
  }
}
