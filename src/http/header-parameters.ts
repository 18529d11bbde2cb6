import type { SpecRoute } from './spec.js';

/** Each operation's header parameters as the spec names them (`If-Match`), path-level ones included. */
export function headerParameterNames(routes: readonly SpecRoute[]): ReadonlyMap<string, readonly string[]> {
  const names = new Map<string, string[]>();
  for (const route of routes) {
    for (const { operationId, parameters } of route.operations.values()) {
      names.set(operationId, parameters.filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name));
    }
  }
  return names;
}

/** The request's values of the named headers, keyed as the spec names them; absent ones are left out. */
export function headerValues(names: readonly string[], get: (name: string) => string | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) {
    const value = get(name);
    if (value !== undefined) values[name] = value;
  }
  return values;
}
