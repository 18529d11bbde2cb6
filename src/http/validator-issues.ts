import { pointerToken, unescapeToken } from './json-pointer.js';
import { forEachSpecObject } from './spec-nodes.js';
import { brokenCombinations, refusedCombinations, type RefusedCombination } from './refused-combinations.js';
import type { Issue as ValidationIssue } from '../contract/domain-error.js';

/** One problem as express-openapi-validator reports it. */
export interface ValidatorIssue {
  path: string;
  message: string;
  errorCode?: string;
}

const LOCATIONS: Record<string, ValidationIssue['location']> = {
  body: 'body',
  query: 'query',
  params: 'path',
  path: 'path',
  headers: 'header',
};

const ADDITIONAL_PROPERTY = 'additionalProperties.openapi.validation';
const DISCRIMINATOR = 'discriminator.openapi.validation';
const NOT = 'not.openapi.validation';

/**
 * The words the contract gives its rules (`x-rule`), by what the validator would say instead:
 * a `pattern` by its expression, an enumeration (such as the 597 time zones) by its complaint.
 */
export interface PatternWords {
  readonly complaints: ReadonlyMap<string, string>;
  /** What "must NOT be valid" means for an object: the refused combinations it is. */
  readonly combinations: readonly RefusedCombination[];
}

/** The words for a pattern the contract left without any (a test keeps every pattern worded): never the expression. */
const UNWORDED_PATTERN = 'does not have the form the contract describes';
const UNWORDED_COMBINATION = 'combines members that cannot go together';

/** The validator's complaint about a value outside `values` (express-openapi-validator lists them all). */
const enumComplaint = (values: unknown[]) => `must be equal to one of the allowed values: ${values.join(', ')}`;

/** Collects every schema's `pattern` or `enum` that has an `x-rule` from the (bundled) spec. */
export function patternWords(spec: unknown): PatternWords {
  const words = new Map<string, string>();
  forEachSpecObject(spec, (node) => {
    const rule = node['x-rule'];
    if (typeof rule === 'string') {
      if (typeof node.pattern === 'string') words.set(node.pattern, rule);
      if (Array.isArray(node.enum)) words.set(enumComplaint(node.enum), rule);
    }
  });
  return { complaints: words, combinations: refusedCombinations(spec) };
}

/**
 * Which of several complaints about one value is kept (lower first): what the value is at all
 * (a member missing or not allowed, a value outside the enumeration, a wrong type) says more
 * than its form, and its form (a pattern worded as a rule: "must not be blank") more than its
 * size. An empty title is "must not be blank", not also "must NOT have fewer than 1 characters".
 */
const PRECEDENCE = ['required', 'additionalProperties', 'enum', 'type', 'format', 'pattern'];
const rank = (item: ValidatorIssue): number => {
  const keyword = item.errorCode?.replace(/\.openapi\.validation$/, '');
  const index = keyword === undefined ? -1 : PRECEDENCE.indexOf(keyword);
  return index === -1 ? PRECEDENCE.length : index;
};

/** The validator's issues as the client sees them: one per place, each in words. */
export function toIssues(items: readonly ValidatorIssue[], body: unknown, words: PatternWords): ValidationIssue[] {
  const kept = new Map<string, { issue: ValidationIssue; rank: number }>();
  for (const item of items) {
    const issue = toIssue(item, body, words);
    const place = `${issue.location} ${issue.pointer}`;
    const previous = kept.get(place);
    const itemRank = rank(item);
    if (previous === undefined || itemRank < previous.rank) kept.set(place, { issue, rank: itemRank });
  }
  return [...kept.values()].map(({ issue }) => issue);
}

/**
 * The validator reports `/body/title`, `/query/limit`, `/params/task_id`, `/headers/...`; anything
 * else concerns the URL itself (such as a malformed percent-encoding), whose message stays ours.
 * For an unexpected property it appends the raw name (`/body/a/b` for `"a/b"`, nothing at all for
 * `""`), so that pointer is rebuilt, RFC 6901-escaped, from the body it was found in.
 */
export function toIssue(item: ValidatorIssue, body: unknown, words: PatternWords): ValidationIssue {
  const message = wordsOf(item, words, body);
  if (item.errorCode === ADDITIONAL_PROPERTY && item.path === '') {
    return { location: 'body', pointer: pointerToEmptyName(body) ?? '', message };
  }
  const [, root = '', ...rest] = item.path.split('/');
  const location = LOCATIONS[root];
  if (location === undefined) return { location: 'path', pointer: '', message: 'must be a well-formed URL path' };
  if (location === 'body' && item.errorCode === ADDITIONAL_PROPERTY) {
    return { location, pointer: additionalPropertyPointer(rest, body), message };
  }
  const pointer = rest.length ? `/${rest.join('/')}` : '';
  // A discriminated oneOf reports a missing or unknown tag (`op`) at its object: point at the tag itself.
  const tag = item.errorCode === DISCRIMINATOR ? /tag "([^"]+)"/.exec(item.message)?.[1] : undefined;
  return { location, pointer: tag === undefined ? pointer : `${pointer}/${pointerToken(tag)}`, message };
}

/** ajv says `must match pattern "<the expression>"` (or lists an enumeration): the schema's words say the rule instead. */
function wordsOf(item: ValidatorIssue, { complaints, combinations }: PatternWords, body: unknown): string {
  if (item.errorCode === NOT) {
    const broken = brokenCombinations(combinations, valueAt(body, item.path));
    return broken ?? UNWORDED_COMBINATION;
  }
  const enumeration = complaints.get(item.message);
  if (enumeration !== undefined) return enumeration;
  const pattern = /^must match pattern "(.*)"$/s.exec(item.message)?.[1];
  return pattern === undefined ? item.message : (complaints.get(pattern) ?? UNWORDED_PATTERN);
}

/** The body's member a validator path (`/body/actions/0/patch`) names, if any. */
function valueAt(body: unknown, path: string): unknown {
  const [, root, ...tokens] = path.split('/');
  if (root !== 'body') return undefined;
  let node = body;
  for (const token of tokens) node = isObject(node) ? node[unescapeToken(token)] : undefined;
  return node;
}

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null;

/**
 * `tokens` are the escaped tokens of the object's pointer followed by the raw name split at `/`:
 * walk down the body until what is left of the tokens, joined, is a property of the object reached.
 */
function additionalPropertyPointer(tokens: string[], body: unknown): string {
  let node = body;
  let depth = 0;
  while (depth < tokens.length - 1 && isObject(node) && !Object.hasOwn(node, tokens.slice(depth).join('/'))) {
    const child = node[unescapeToken(tokens[depth]!)];
    if (!isObject(child)) break;
    node = child;
    depth += 1;
  }
  const name = tokens.slice(depth).join('/');
  return [...tokens.slice(0, depth), pointerToken(name)].map((token) => `/${token}`).join('');
}

/** The pointer to the first property named `""` in the body (the validator loses where it was). */
function pointerToEmptyName(node: unknown, at = ''): string | undefined {
  if (!isObject(node)) return undefined;
  if (Object.hasOwn(node, '')) return `${at}/`;
  for (const [key, child] of Object.entries(node)) {
    const found = pointerToEmptyName(child, `${at}/${pointerToken(key)}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
