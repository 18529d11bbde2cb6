import http from 'node:http';
import https from 'node:https';
import type { DeliveryError } from './delivery-representation.js';
import { guardedLookup, type Resolve } from './public-address.js';
import { refusedUrl, type UrlPolicy } from './webhook-url.js';

/** What one attempt came to. */
export interface AttemptOutcome {
  readonly succeeded: boolean;
  /** The answer's status, when there was one. */
  readonly responseCode: number | null;
  readonly error: DeliveryError | null;
}

export interface SenderOptions extends UrlPolicy {
  /** WEBHOOK_TIMEOUT_MS: connecting, sending and the whole answer. */
  readonly timeoutMs: number;
  /** How host names are resolved (the system's resolver; tests give their own). */
  readonly resolve: Resolve;
}

/** POSTs a signed body to a webhook's URL; never throws: every failure is an outcome. */
export type WebhookSender = (url: string, body: string, headers: Record<string, string>) => Promise<AttemptOutcome>;

/** The most of an answer's body read: a receiver has nothing to say to us, and a longer answer is a failure. */
export const MAX_ANSWER_BYTES = 4096;
const USER_AGENT = 'todo-tasks-webhooks/1 (+https://www.standardwebhooks.com)';

const failed = (error: DeliveryError, responseCode: number | null = null): AttemptOutcome => ({
  succeeded: false,
  responseCode,
  error,
});

/** The failure a connection's error is, by its code. */
function failureOf(error: NodeJS.ErrnoException): DeliveryError {
  const code = error.code ?? '';
  if (code === 'ERR_ADDRESS_NOT_ALLOWED') return 'address_not_allowed';
  if (code === 'ENOTFOUND' || code.startsWith('EAI_')) return 'dns_failed';
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|EPROTO$)/.test(code))
    return 'tls_failed';
  return 'connection_failed';
}

/** A status code the records can hold (Node parses any three digits). */
const recordable = (code: number | undefined): number | null =>
  code !== undefined && code >= 100 && code <= 599 ? code : null;

/**
 * Delivers with the SSRF guard: the URL's scheme and literal host are checked first, and a name's
 * addresses when connecting (guardedLookup), so every connection goes to an address the server
 * delivers to. No redirect is followed (a 3xx is a failure), no connection is reused, the whole
 * attempt is bounded in time, and at most MAX_ANSWER_BYTES of the answer are read.
 */
export function createWebhookSender(options: SenderOptions): WebhookSender {
  const lookup = guardedLookup(options.resolve, options.allowPrivate);
  return (target, body, headers) =>
    new Promise<AttemptOutcome>((resolve) => {
      if (refusedUrl(target, options) !== undefined) {
        resolve(failed('address_not_allowed'));
        return;
      }
      const url = new URL(target);
      let settled = false;
      const finish = (outcome: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        resolve(outcome);
      };
      const request = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: 'POST',
          agent: false,
          lookup,
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': USER_AGENT,
          },
        },
        (response) => {
          const code = recordable(response.statusCode);
          let received = 0;
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > MAX_ANSWER_BYTES) finish(failed('response_too_large', code));
          });
          response.on('end', () => {
            const ok = code !== null && code >= 200 && code < 300;
            finish(ok ? { succeeded: true, responseCode: code, error: null } : failed('http_status', code));
          });
          response.on('error', () => finish(failed('connection_failed', code)));
        },
      );
      const timer = setTimeout(() => finish(failed('timeout')), options.timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => finish(failed(failureOf(error))));
      request.end(body);
    });
}
