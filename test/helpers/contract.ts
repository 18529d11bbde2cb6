import { readFileSync } from 'node:fs';

// The contract as the tests read it: the bundled spec that `make generate` writes, read with the
// tests' own few lines rather than the server's spec module, so that a mistake in how the server
// reads the spec cannot hide itself by being made on both sides of a check.

export type Json = Record<string, any>;

export interface Contract extends Json {
  readonly info: { readonly title: string } & Json;
  readonly security?: unknown[];
  readonly paths: Record<string, Json>;
  readonly components: Json;
}

/** The bundled spec (`generated/openapi.json`). */
export const CONTRACT_FILE = new URL('../../generated/openapi.json', import.meta.url);

/** A fresh copy of the contract each call: a caller may hand it to code that could change it. */
export function loadContract(): Contract {
  return JSON.parse(readFileSync(CONTRACT_FILE, 'utf8')) as Contract;
}

/** The keys of an OpenAPI 3.0 path item that are operations (the others: parameters, summary...). */
export const OPERATION_METHODS: readonly string[] = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
];

/** RFC 6901: one reference token for a member name (`~` -> `~0`, `/` -> `~1`). */
export function pointerToken(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** RFC 6901: the pointer to a member `name` of the document's root, e.g. `/limit`. */
export function pointerTo(name: string): string {
  return `/${pointerToken(name)}`;
}

/** RFC 6901: the member name a reference token stands for (`~1` first, so `~01` stays `~1`). */
function memberName(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** The node a local `$ref` (`#/...`) points to, followed through any chain of refs; other nodes as they are. */
export function deref<T>(contract: object, node: T): T {
  let target: unknown = node;
  for (let hops = 0; typeof (target as { $ref?: unknown } | undefined)?.$ref === 'string'; hops++) {
    const ref = (target as { $ref: string }).$ref;
    if (!ref.startsWith('#/')) throw new Error(`contract: only local references are read, not ${ref}`);
    if (hops > 100) throw new Error(`contract: a cycle of references through ${ref}`);
    target = ref
      .slice(2)
      .split('/')
      .map(memberName)
      .reduce<unknown>((parent, name) => {
        if (parent === null || typeof parent !== 'object' || !(name in parent))
          throw new Error(`contract: ${ref} points to nothing`);
        return (parent as Record<string, unknown>)[name];
      }, contract);
  }
  return target as T;
}

/** Whether a concrete path is one of a template's (`/api/alice/tasks/1` of `/api/{user_id}/tasks/{task_id}`): each `{parameter}` one non-empty segment. */
export function pathMatches(template: string, path: string): boolean {
  const wanted = template.split('/');
  const actual = path.split('/');
  return (
    wanted.length === actual.length &&
    wanted.every((segment, index) => {
      if (/^\{[^{}]+\}$/.test(segment)) return actual[index] !== '';
      if (segment.includes('{'))
        throw new Error(`contract: a parameter that is part of a segment (${template}) is not read`);
      return segment === actual[index];
    })
  );
}

/**
 * The template a concrete path belongs to. Concrete paths win over templated ones, as OpenAPI
 * matches (`/tasks/bulk` is not the task `{task_id}` = "bulk"): fewest parameters first.
 */
export function templateOf(contract: Contract, path: string): string | undefined {
  const parameters = (template: string) => template.split('{').length - 1;
  return Object.keys(contract.paths)
    .sort((a, b) => parameters(a) - parameters(b))
    .find((template) => pathMatches(template, path));
}
