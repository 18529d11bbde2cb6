import type { Request, RequestHandler } from 'express';
import { PUBLIC_OPERATIONS } from '../contract/operations.js';
import type { SpecDocument } from '../contract/spec-document.js';
import { unescapeToken } from './json-pointer.js';

/** The keys of a path item that are operations (OpenAPI 3.0). */
const OPERATION_METHODS: readonly string[] = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A parameter as the spec declares it, its `$ref` resolved. */
interface SpecParameter {
  readonly name: string;
  readonly in: string;
  readonly schema?: { type?: string; enum?: unknown[]; format?: string };
}

/**
 * How a query parameter takes its values: `several` (an array: the parameter repeated), `one`, or
 * `one-without-comma` when no value can hold a comma (numbers, booleans, dates, enumerations), so
 * that a comma in one means the client sent a list.
 */
export type QueryValues = 'several' | 'one' | 'one-without-comma';

/** What the middleware needs to know of one operation, read from the spec once at start. */
export interface OperationEntry {
  readonly operationId: string;
  /** The path template's parameter names, in the order the route's pattern captures them. */
  readonly pathNames: readonly string[];
  /** Path parameters that are integers. */
  readonly integerPath: ReadonlySet<string>;
  /** Query parameter names the operation declares, each with whether it is an integer. */
  readonly query: ReadonlyMap<string, boolean>;
  /** How each query parameter takes its values. */
  readonly queryValues: ReadonlyMap<string, QueryValues>;
  /** Header parameters as the spec names them (`If-Match`), handed to the handler as `headers`. */
  readonly headers: readonly string[];
  /** Whether it answers with an event stream (`text/event-stream`): a response that stays open, bounded per user. */
  readonly streams: boolean;
}

/** The operation a request is for, and the raw values of its path parameters. */
export interface ResolvedOperation {
  readonly entry: OperationEntry;
  readonly pathValues: readonly string[];
}

interface Route {
  readonly pattern: RegExp;
  readonly operations: ReadonlyMap<string, OperationEntry>;
}

/**
 * Every operation of the spec, by method and path, in the order OpenAPI matches paths: concrete
 * before templated (`/tasks/bulk` is not the task `{task_id}` = "bulk").
 */
export class OperationIndex {
  private readonly routes: readonly Route[];

  constructor(spec: SpecDocument) {
    const parameterCount = (template: string) => template.split('{').length - 1;
    this.routes = Object.entries(spec.paths)
      .sort(([a], [b]) => parameterCount(a) - parameterCount(b))
      .map(([template, item]) => ({ pattern: routePattern(template), operations: operationsOf(spec, template, item) }));
  }

  /** The operation of a request line; HEAD is answered as the GET it stands for. */
  resolve(method: string, path: string): ResolvedOperation | undefined {
    for (const route of this.routes) {
      const match = route.pattern.exec(path);
      if (match === null) continue;
      const entry = route.operations.get(method === 'HEAD' ? 'GET' : method);
      return entry && { entry, pathValues: match.slice(1) };
    }
    return undefined;
  }
}

/** A regular expression matching the concrete paths of a template, capturing each `{parameter}` raw. */
function routePattern(template: string): RegExp {
  return new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')}$`);
}

function operationsOf(
  spec: SpecDocument,
  template: string,
  item: Record<string, unknown>,
): Map<string, OperationEntry> {
  const resolve = (parameter: SpecParameter): SpecParameter => {
    const resolved = resolveRef(spec, parameter);
    return { ...resolved, schema: resolveRef(spec, resolved.schema ?? {}) };
  };
  const isInteger = (parameter: SpecParameter) => parameter.schema?.type === 'integer';
  const pathNames = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
  const shared = ((item.parameters as SpecParameter[] | undefined) ?? []).map(resolve);
  const operations = new Map<string, OperationEntry>();
  for (const method of OPERATION_METHODS) {
    const operation = item[method] as
      | { operationId?: string; parameters?: SpecParameter[]; responses?: Record<string, { content?: object }> }
      | undefined;
    if (!operation?.operationId) continue;
    const parameters = [...shared, ...(operation.parameters ?? []).map(resolve)];
    const named = (location: string) => parameters.filter((parameter) => parameter.in === location);
    operations.set(method.toUpperCase(), {
      operationId: operation.operationId,
      pathNames,
      integerPath: new Set(
        named('path')
          .filter(isInteger)
          .map((parameter) => parameter.name),
      ),
      query: new Map(named('query').map((parameter) => [parameter.name, isInteger(parameter)])),
      queryValues: new Map(named('query').map((parameter) => [parameter.name, queryValues(parameter)])),
      headers: named('header').map((parameter) => parameter.name),
      streams: Object.values(operation.responses ?? {}).some(
        (response) => 'text/event-stream' in (resolveRef(spec, response).content ?? {}),
      ),
    });
  }
  return operations;
}

function queryValues({ schema = {} }: SpecParameter): QueryValues {
  if (schema.type === 'array') return 'several';
  const withoutComma =
    ['integer', 'number', 'boolean'].includes(schema.type ?? '') ||
    ['date', 'date-time'].includes(schema.format ?? '') ||
    schema.enum?.every((value) => !String(value).includes(',')) === true;
  return withoutComma ? 'one-without-comma' : 'one';
}

/** The node a local `$ref` (`#/components/...`) points to, followed through any chain of refs. */
function resolveRef<T>(spec: object, node: T): T {
  let target: unknown = node;
  while (typeof (target as { $ref?: unknown }).$ref === 'string') {
    const ref = (target as { $ref: string }).$ref;
    target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((parent, token) => (parent as Record<string, unknown>)[unescapeToken(token)], spec);
  }
  return target as T;
}

const RESOLVED = Symbol('resolved operation');
interface Resolvable {
  [RESOLVED]?: ResolvedOperation;
}

/**
 * Resolves each request's operation once, first thing, from its method and path as received:
 * the metrics label, the URL checks and dispatch all read this one result (`resolvedOperation`).
 */
export function resolveOperations(index: OperationIndex): RequestHandler {
  const resolveOperation: RequestHandler = (req, _res, next) => {
    const resolved = index.resolve(req.method, req.path);
    if (resolved) (req as Resolvable)[RESOLVED] = resolved;
    next();
  };
  return resolveOperation;
}

/** The request's operation, as `resolveOperations` found it; undefined when it matches none. */
export function resolvedOperation(req: Request): ResolvedOperation | undefined {
  return (req as Resolvable)[RESOLVED];
}

/** The security scheme of the user's token: the one dispatch authenticates. */
const USER_SCHEME = 'bearerAuth';

/**
 * The spec decides which operations need no user token: those where some security requirement
 * can be met without `bearerAuth` (`security: []`, or `{}` or another scheme among the
 * alternatives, as GET /metrics with its own token). The code's list must say the same, or the
 * app refuses to start (a public handler typed without a user must never get one, and a
 * protected operation must never run unauthenticated).
 */
export function assertPublicOperationsMatch(spec: SpecDocument): void {
  const publicInSpec = new Set<string>();
  for (const item of Object.values(spec.paths)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method] as { operationId?: string; security?: unknown[] } | undefined;
      const requirements = (operation?.security ?? spec.security ?? []) as Record<string, unknown>[];
      const needsUserToken = requirements.length > 0 && requirements.every((requirement) => USER_SCHEME in requirement);
      if (operation?.operationId && !needsUserToken) publicInSpec.add(operation.operationId);
    }
  }
  const publicInCode = new Set<string>(PUBLIC_OPERATIONS);
  const differ = [...publicInSpec].some((id) => !publicInCode.has(id)) || publicInSpec.size !== publicInCode.size;
  if (differ) {
    throw new Error(
      `public operations in the spec (${[...publicInSpec].join(', ')}) differ from PUBLIC_OPERATIONS (${[...publicInCode].join(', ')})`,
    );
  }
}
