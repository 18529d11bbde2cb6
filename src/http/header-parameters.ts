import { OPERATION_METHODS, resolveRef, type SpecDocument } from './spec.js';

interface ParameterObject {
  name: string;
  in: string;
}

/** Each operation's header parameters as the spec names them (`If-Match`), path-level ones included. */
export function headerParameterNames(spec: SpecDocument): ReadonlyMap<string, readonly string[]> {
  const names = new Map<string, string[]>();
  for (const item of Object.values(spec.paths)) {
    const shared = (item.parameters as ParameterObject[] | undefined) ?? [];
    for (const method of OPERATION_METHODS) {
      const operation = item[method] as { operationId?: string; parameters?: ParameterObject[] } | undefined;
      if (!operation?.operationId) continue;
      const headers = [...shared, ...(operation.parameters ?? [])].map((parameter) => resolveRef(spec, parameter)).filter((parameter) => parameter.in === 'header');
      names.set(operation.operationId, headers.map((parameter) => parameter.name));
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
