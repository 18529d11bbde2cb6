import type { Request } from 'express';
import type { Issue } from '../contract/domain-error.js';
import { unescapeToken } from './json-pointer.js';
import { resolvedOperation } from './operation-index.js';

/** How much of a value an example quotes back. */
const QUOTED_CODE_POINTS = 20;

/**
 * Tells the client how to send what it meant, when a rejected query value was several values at
 * once: a parameter that takes one value given twice (`status=open&status=completed`) or as a
 * list (`status=open,completed`), or a parameter that takes several given as a comma-separated
 * list (`priority=high,low`) rather than repeated. Other issues are left as they are; the same
 * issue twice (each of two `limit`s) is listed once.
 */
export function adviseOnQuery(issues: readonly Issue[], req: Request): Issue[] {
  const entry = resolvedOperation(req)?.entry;
  if (entry === undefined) return [...issues];
  const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
  const advised = issues.map((issue) => {
    const [name = '', index] = issue.pointer.split('/').slice(1).map(unescapeToken);
    const takes = entry.queryValues.get(name);
    if (issue.location !== 'query' || takes === undefined) return issue;
    const values = query.getAll(name);
    if (takes !== 'several') {
      if (values.length > 1) return { ...issue, message: 'must be given only once: this parameter takes one value' };
      if (takes === 'one-without-comma' && values[0]?.includes(','))
        return { ...issue, message: `takes one value, not a list: ${issue.message}` };
      return issue;
    }
    const value = index === undefined ? undefined : values[Number(index)];
    if (!value?.includes(',')) return issue;
    const example = value
      .split(',')
      .filter((part) => part !== '')
      .slice(0, 2)
      .map((part) => `${name}=${encodeURIComponent([...part].slice(0, QUOTED_CODE_POINTS).join(''))}`)
      .join('&');
    return { ...issue, message: `several values are sent by repeating the parameter (${example}), not as a list` };
  });
  const seen = new Set<string>();
  return advised.filter(({ location, pointer, message }) => {
    const key = JSON.stringify([location, pointer, message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
