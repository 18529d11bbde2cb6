import { OPERATION_METHODS, pathsInMatchOrder, routePattern, type SpecDocument } from '../http/spec.js';

/** The label of a request that matches no operation of the spec (an unknown path, a CORS preflight). */
export const UNMATCHED_OPERATION = 'unmatched';

/**
 * The operationId a request is for, read from the spec by method and path, or `unmatched`: never
 * the raw path, so that the label has as many values as the spec has operations. It is worked out
 * here rather than read from the OpenAPI validator because requests answered before it runs
 * (rate limited, refused by the URL checks) count too. HEAD counts as the GET it is answered as.
 */
export function operationLabeller(spec: SpecDocument): (method: string, path: string) => string {
  const routes = pathsInMatchOrder(spec.paths).map(([template, item]) => {
    const operations = new Map<string, string>();
    for (const method of OPERATION_METHODS) {
      const operationId = (item[method] as { operationId?: string } | undefined)?.operationId;
      if (operationId) operations.set(method.toUpperCase(), operationId);
    }
    return { pattern: routePattern(template), operations };
  });
  return (method, path) => {
    const route = routes.find(({ pattern }) => pattern.test(path));
    return route?.operations.get(method === 'HEAD' ? 'GET' : method) ?? UNMATCHED_OPERATION;
  };
}
