import { routeOf, type SpecRoute } from '../http/spec.js';

/** The label of a request that matches no operation of the spec (an unknown path, a CORS preflight). */
export const UNMATCHED_OPERATION = 'unmatched';

/**
 * The operationId a request is for, read from the spec by method and path, or `unmatched`: never
 * the raw path, so that the label has as many values as the spec has operations. It is worked out
 * here rather than read from the OpenAPI validator because requests answered before it runs
 * (rate limited, refused by the URL checks) count too. HEAD counts as the GET it is answered as.
 */
export function operationLabeller(routes: readonly SpecRoute[]): (method: string, path: string) => string {
  return (method, path) => routeOf(routes, path)?.operations.get(method === 'HEAD' ? 'GET' : method)?.operationId ?? UNMATCHED_OPERATION;
}
