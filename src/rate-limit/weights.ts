/** A relevance search ranks the user's matching tasks: it counts as this many plain requests. */
export const SEARCH_WEIGHT = 10;

/**
 * What a request counts for in the per-user rate limit: about its share of the work it makes the
 * service do. A search weighs SEARCH_WEIGHT; a bulk request one per action (the limiter caps any
 * weight at the whole limit, so that every request fits a fresh window); anything else one.
 */
export function requestWeight(operationId: string, query: unknown, body: unknown): number {
  if (isSearch(operationId, query)) return SEARCH_WEIGHT;
  if (operationId === 'bulkTasks') {
    const { actions } = body as { actions?: unknown };
    return Array.isArray(actions) ? Math.max(1, actions.length) : 1;
  }
  return 1;
}

/**
 * Whether a request is of the costly kinds (a search, a bulk request), told from its operation and
 * query alone, before its body is read: the in-flight limit lets a user run only one at a time.
 */
export function isCostly(operationId: string | undefined, query: unknown): boolean {
  return operationId === 'bulkTasks' || isSearch(operationId, query);
}

function isSearch(operationId: string | undefined, query: unknown): boolean {
  return operationId === 'listTasks' && typeof (query as { q?: unknown }).q === 'string';
}
