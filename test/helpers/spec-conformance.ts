import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { loadSpec } from '../../src/http/spec.js';

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;
const spec = loadSpec() as unknown as Json & { paths: Record<string, Record<string, Json>>; components: Json };
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec, 'spec');

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

const routes = Object.entries(spec.paths).map(([template, item]) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  item,
}));

function resolve(node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const [, ...segments] = ref.split('/');
  let target: unknown = spec;
  for (const segment of segments) target = (target as Json)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  return resolve(target as Json);
}

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

/**
 * Throws unless the response is one the contract allows: a documented status of the matched
 * operation, with its documented headers, media type and body schema. A request that matches no
 * operation must have been answered with a problem document.
 */
export function assertConformsToSpec(response: ObservedResponse): void {
  const where = `${response.method} ${response.path} -> ${response.status}`;
  if (response.method === 'HEAD') {
    // Answered as GET without a body: the GET response's status and headers must conform.
    if (response.body !== undefined) throw new Error(`${where}: HEAD response with a body`);
    return assertConformsToSpec({ ...response, method: 'GET', body: undefined, bodyless: true });
  }
  const route = routes.find((candidate) => candidate.pattern.test(response.path));
  const operation = route?.item[response.method.toLowerCase()] as Json | undefined;
  if (!route || !operation || !METHODS.has(response.method.toLowerCase())) {
    if (!response.bodyless) assertBody(where, response, '#/components/schemas/Problem', 'application/problem+json');
    return;
  }
  const documented = (operation.responses as Record<string, Json>)[String(response.status)];
  if (!documented) throw new Error(`${where}: status not documented for ${String(operation.operationId)}`);
  const definition = resolve(documented);
  for (const name of Object.keys((definition.headers as Json | undefined) ?? {})) {
    if (!response.headers.has(name)) throw new Error(`${where}: documented header ${name} missing`);
  }
  const content = definition.content as Record<string, Json> | undefined;
  if (!content) {
    if (response.body !== undefined) throw new Error(`${where}: body sent where the spec documents none`);
    return;
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const media = content[mediaType];
  if (!media) throw new Error(`${where}: content type ${mediaType} not documented`);
  if (response.bodyless) return;
  const schema = media.schema as Json;
  if (typeof schema.$ref !== 'string') throw new Error(`${where}: response schema is not a named schema`);
  assertBody(where, response, schema.$ref, mediaType);
}

function assertBody(where: string, response: ObservedResponse, ref: string, mediaType: string): void {
  const actual = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (actual !== mediaType) throw new Error(`${where}: content type ${actual}, expected ${mediaType}`);
  const validate = validatorFor(ref);
  if (!validate(response.body)) {
    throw new Error(`${where}: body does not match ${ref}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(response.body)}`);
  }
}
