import { isPublicHost } from './public-address.js';

/** Where deliveries may go besides public https:// URLs (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOW_PRIVATE). */
export interface UrlPolicy {
  readonly allowHttp: boolean;
  readonly allowPrivate: boolean;
}

/**
 * Why the server would not deliver to this URL, in the words of a problem at `/url`; undefined
 * when it would as far as the URL tells: a host name's addresses are checked at each attempt.
 */
export function refusedUrl(text: string, policy: UrlPolicy): string | undefined {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined) return 'is not a valid URL';
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:'))
    return policy.allowHttp ? 'must be an http:// or https:// URL' : 'must be an https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  if (!policy.allowPrivate && !isPublicHost(url.hostname))
    return 'must not name a loopback, private or otherwise non-public address';
  return undefined;
}
