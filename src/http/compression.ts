import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Request, RequestHandler, Response } from 'express';
import { resolvedOperation } from './operation-index.js';

/** Smaller answers are sent as they are: compressing them saves less than it costs. */
const MIN_BYTES = 1024;
/** The documents a server answers with change only with `make docs` or a restart: a few compressed copies suffice. */
const MEMO_ENTRIES = 8;

const compressors = {
  // Quality 5: about a quarter of the reference page's size at a tenth of the highest quality's time.
  br: (body: Buffer) =>
    promisify(brotliCompress)(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  gzip: (body: Buffer) => promisify(gzip)(body),
} as const;
type Encoding = keyof typeof compressors;

/**
 * Compresses the answers of the given operations (the documents: the 2.6 MB reference page and
 * the spec) with Brotli or gzip, as the request's Accept-Encoding allows, and says `Vary:
 * Accept-Encoding` on each. The same document is compressed once (off the event loop) and its
 * compressed copy reused, so that serving it again costs no compression.
 */
export function compressDocuments(operationIds: readonly string[]): RequestHandler {
  const documents = new Set(operationIds);
  const memos = { br: new Map<string, Promise<Buffer>>(), gzip: new Map<string, Promise<Buffer>>() };

  const compressed = (encoding: Encoding, body: string): Promise<Buffer> => {
    const memo = memos[encoding];
    let copy = memo.get(body);
    if (!copy) {
      if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
      copy = compressors[encoding](Buffer.from(body));
      memo.set(body, copy);
      copy.catch(() => memo.delete(body));
    }
    return copy;
  };

  const compressDocument: RequestHandler = (req, res, next) => {
    const operationId = resolvedOperation(req)?.entry.operationId;
    if (operationId === undefined || !documents.has(operationId)) return next();
    res.vary('Accept-Encoding');
    const encoding = preferredEncoding(req);
    if (encoding === undefined) return next();
    const send = res.send.bind(res) as (body: unknown) => Response;
    res.send = (body: unknown) => {
      // Documents are text (the page, the spec's JSON or YAML); a problem or a small answer goes as it is.
      if (typeof body !== 'string' || body.length < MIN_BYTES || res.statusCode !== 200) return send(body);
      compressed(encoding, body).then(
        (copy) => {
          res.setHeader('Content-Encoding', encoding);
          send(copy);
        },
        (error: unknown) => next(error),
      );
      return res;
    };
    next();
  };
  return compressDocument;
}

/** Brotli (the smaller) when the client accepts it, else gzip when it does: the server's choice among the acceptable ones. */
function preferredEncoding(req: Request): Encoding | undefined {
  if (req.acceptsEncodings('br') === 'br') return 'br';
  if (req.acceptsEncodings('gzip') === 'gzip') return 'gzip';
  return undefined;
}
