import { pointerToken, unescapeToken } from './json-pointer.js';
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

/**
 * The validator reports `/body/title`, `/query/limit`, `/params/task_id`, `/headers/...`; anything
 * else concerns the URL itself (such as a malformed percent-encoding), whose message stays ours.
 * For an unexpected property it appends the raw name (`/body/a/b` for `"a/b"`, nothing at all for
 * `""`), so that pointer is rebuilt, RFC 6901-escaped, from the body it was found in.
 */
export function toIssue(item: ValidatorIssue, body: unknown): ValidationIssue {
  if (item.errorCode === ADDITIONAL_PROPERTY && item.path === '') {
    return { location: 'body', pointer: pointerToEmptyName(body) ?? '', message: item.message };
  }
  const [, root = '', ...rest] = item.path.split('/');
  const location = LOCATIONS[root];
  if (location === undefined) return { location: 'path', pointer: '', message: 'must be a well-formed URL path' };
  if (location === 'body' && item.errorCode === ADDITIONAL_PROPERTY) {
    return { location, pointer: additionalPropertyPointer(rest, body), message: item.message };
  }
  const pointer = rest.length ? `/${rest.join('/')}` : '';
  // A discriminated oneOf reports a missing or unknown tag (`op`) at its object: point at the tag itself.
  const tag = item.errorCode === DISCRIMINATOR ? /tag "([^"]+)"/.exec(item.message)?.[1] : undefined;
  return { location, pointer: tag === undefined ? pointer : `${pointer}/${pointerToken(tag)}`, message: item.message };
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
