import type { RequestHandler } from 'express';
import type { Issue } from '../contract/domain-error.js';
import { pointerTo } from './json-pointer.js';
import { resolvedOperation, type ResolvedOperation } from './operation-index.js';
import { HttpProblem } from './problem.js';
import { adviseOnQuery } from './query-advice.js';

/** An integer as the spec's integer parameters are written: decimal digits, no sign or exponent games. */
const DECIMAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;

/**
 * What the OpenAPI validator is lenient about, checked before it runs: it coerces `0x10`, `1e3`,
 * ` 5` or `Infinity` into numbers (so one task had many URLs, and `Infinity` reached the
 * database), and lets some unknown query names through (`[`, `a[b]`). Here an integer parameter
 * must be written in decimal digits and every query name must be one the operation declares.
 * Requests that match no operation are left to the validator (404/405).
 */
export function strictUrl(): RequestHandler {
  const strictUrl: RequestHandler = (req, _res, next) => {
    const resolved = resolvedOperation(req);
    if (!resolved) return next();
    const issues = [...pathIssues(resolved), ...queryIssues(resolved, req.originalUrl)];
    const errors = adviseOnQuery(issues, req); // `limit=1,2` is a list, not a badly written integer
    next(errors.length > 0 ? new HttpProblem(400, 'The request is not valid.', { errors }) : undefined);
  };
  return strictUrl;
}

function pathIssues({ entry, pathValues }: ResolvedOperation): Issue[] {
  return entry.pathNames.flatMap((name, index) => {
    if (!entry.integerPath.has(name)) return [];
    // Checked as sent: `%31` is not how the number 1 is written.
    return DECIMAL_INTEGER.test(pathValues[index]!)
      ? []
      : [{ location: 'path' as const, pointer: pointerTo(name), message: 'must be an integer in decimal digits' }];
  });
}

function queryIssues({ entry }: ResolvedOperation, url: string): Issue[] {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return [];
  const issues: Issue[] = [];
  for (const pair of url.slice(queryStart + 1).split('&')) {
    if (pair === '') continue;
    const [rawName = '', rawValue = ''] = pair.split(/=(.*)/s);
    const name = decodeQueryComponent(rawName);
    const value = rawValue; // checked as sent, like path values
    const isInteger = entry.query.get(name);
    if (isInteger === undefined)
      issues.push({ location: 'query', pointer: pointerTo(name), message: `Unknown query parameter '${name}'` });
    else if (isInteger && !DECIMAL_INTEGER.test(value))
      issues.push({ location: 'query', pointer: pointerTo(name), message: 'must be an integer in decimal digits' });
  }
  return issues;
}

/** A query name as the query parser reads it (`+` is a space); a malformed encoding stays as sent. */
function decodeQueryComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}
