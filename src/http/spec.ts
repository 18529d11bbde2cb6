import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { unescapeToken } from './json-pointer.js';
import { PUBLIC_OPERATIONS } from '../contract/operations.js';

/** The contract, bundled to one document by `make generate`, in JSON and in YAML. */
export const SPEC_PATH = fileURLToPath(new URL('../../generated/openapi.json', import.meta.url));
export const SPEC_YAML_PATH = fileURLToPath(new URL('../../generated/openapi.yaml', import.meta.url));

interface OperationObject {
  operationId?: string;
  security?: unknown[];
}
export interface SpecDocument {
  security?: unknown[];
  paths: Record<string, Record<string, OperationObject | unknown>>;
}

/** The keys of a path item that are operations (OpenAPI 3.0). */
export const OPERATION_METHODS: readonly string[] = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A regular expression matching the concrete paths of a template, capturing each `{parameter}` raw. */
export function routePattern(template: string): RegExp {
  return new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')}$`);
}

/**
 * The spec's paths in the order a request's path is matched against them: concrete before
 * templated, as OpenAPI matches (`/tasks/bulk` is not the task `{task_id}` = "bulk").
 */
export function pathsInMatchOrder<Item>(paths: Record<string, Item>): [string, Item][] {
  const parameterCount = (template: string) => template.split('{').length - 1;
  return Object.entries(paths).sort(([a], [b]) => parameterCount(a) - parameterCount(b));
}

/** The node a local `$ref` (`#/components/...`) points to, followed through any chain of refs. */
export function resolveRef<T>(spec: object, node: T): T {
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

/** A parameter as the middleware reads it, its `$ref` resolved. */
export interface SpecParameter {
  readonly name: string;
  readonly in: string;
  readonly schema?: { type?: string };
}

/** One path of the spec: the pattern its concrete paths match, and its operations by upper-case method. */
export interface SpecRoute {
  readonly template: string;
  readonly pattern: RegExp;
  readonly operations: ReadonlyMap<string, { readonly operationId: string; readonly parameters: readonly SpecParameter[] }>;
}

/**
 * The spec's paths in match order, each operation with its parameters (path-level ones included,
 * every `$ref` resolved): read once at start by whatever needs to know a request's operation.
 */
export function specRoutes(spec: SpecDocument): SpecRoute[] {
  const resolve = (parameter: SpecParameter): SpecParameter => {
    const resolved = resolveRef(spec, parameter);
    return { ...resolved, schema: resolveRef(spec, resolved.schema ?? {}) };
  };
  return pathsInMatchOrder(spec.paths).map(([template, item]) => {
    const shared = ((item.parameters as SpecParameter[] | undefined) ?? []).map(resolve);
    const operations = new Map<string, { operationId: string; parameters: SpecParameter[] }>();
    for (const method of OPERATION_METHODS) {
      const operation = item[method] as { operationId?: string; parameters?: SpecParameter[] } | undefined;
      if (!operation?.operationId) continue;
      operations.set(method.toUpperCase(), { operationId: operation.operationId, parameters: [...shared, ...(operation.parameters ?? []).map(resolve)] });
    }
    return { template, pattern: routePattern(template), operations };
  });
}

/** The route a concrete path belongs to, if any. */
export function routeOf<R extends SpecRoute>(routes: readonly R[], path: string): R | undefined {
  return routes.find((route) => route.pattern.test(path));
}

export function loadSpec(): SpecDocument {
  return JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as SpecDocument;
}

/** The security scheme of the user's token: the one `dispatchOperations` authenticates. */
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
      const operation = item[method] as OperationObject | undefined;
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
