import type { RequestHandler } from 'express';
import { pointerTo } from './json-pointer.js';
import { HttpProblem, type ValidationIssue } from './problem.js';
import { routeOf, specRoutes, type SpecParameter, type SpecRoute } from './spec.js';

/** An integer as the spec's integer parameters are written: decimal digits, no sign or exponent games. */
const DECIMAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;

interface OperationRules {
  /** Query parameter names the operation declares, with whether each is an integer. */
  readonly query: Map<string, boolean>;
  /** Path parameter names that are integers. */
  readonly integerPath: Set<string>;
}

interface Route extends SpecRoute {
  readonly names: string[];
  readonly methods: Map<string, OperationRules>;
}

/**
 * What the OpenAPI validator is lenient about, checked before it runs: it coerces `0x10`, `1e3`,
 * ` 5` or `Infinity` into numbers (so one task had many URLs, and `Infinity` reached the
 * database), and lets some unknown query names through (`[`, `a[b]`). Here an integer parameter
 * must be written in decimal digits and every query name must be one the operation declares.
 * Requests that match no operation are left to the validator (404/405).
 */
export function strictUrl(specRoutes: readonly SpecRoute[]): RequestHandler {
  const routes = compileRoutes(specRoutes);
  return (req, _res, next) => {
    const route = routeOf(routes, req.path);
    const rules = route?.methods.get(req.method);
    if (!route || !rules) return next();
    const issues = [...pathIssues(route, rules, req.path), ...queryIssues(rules, req.originalUrl)];
    next(issues.length > 0 ? new HttpProblem(400, 'The request is not valid.', { errors: issues }) : undefined);
  };
}

function pathIssues(route: Route, rules: OperationRules, path: string): ValidationIssue[] {
  const values = route.pattern.exec(path)!.slice(1);
  return route.names.flatMap((name, index) => {
    if (!rules.integerPath.has(name)) return [];
    // Checked as sent: `%31` is not how the number 1 is written.
    return DECIMAL_INTEGER.test(values[index]!) ? [] : [{ location: 'path' as const, pointer: pointerTo(name), message: 'must be an integer in decimal digits' }];
  });
}

function queryIssues(rules: OperationRules, url: string): ValidationIssue[] {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return [];
  const issues: ValidationIssue[] = [];
  for (const pair of url.slice(queryStart + 1).split('&')) {
    if (pair === '') continue;
    const [rawName = '', rawValue = ''] = pair.split(/=(.*)/s);
    const name = decodeQueryComponent(rawName);
    const value = rawValue; // checked as sent, like path values
    const isInteger = rules.query.get(name);
    if (isInteger === undefined) issues.push({ location: 'query', pointer: pointerTo(name), message: `Unknown query parameter '${name}'` });
    else if (isInteger && !DECIMAL_INTEGER.test(value)) issues.push({ location: 'query', pointer: pointerTo(name), message: 'must be an integer in decimal digits' });
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

function compileRoutes(routes: readonly SpecRoute[]): Route[] {
  const isInteger = (parameter: SpecParameter) => parameter.schema?.type === 'integer';
  return routes.map((route) => {
    const names = [...route.template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
    const methods = new Map<string, OperationRules>();
    for (const [method, { parameters }] of route.operations) {
      methods.set(method, {
        query: new Map(parameters.filter((p) => p.in === 'query').map((p) => [p.name, isInteger(p)])),
        integerPath: new Set(parameters.filter((p) => p.in === 'path' && isInteger(p)).map((p) => p.name)),
      });
    }
    return { ...route, names, methods };
  });
}
