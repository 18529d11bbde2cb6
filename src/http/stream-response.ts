import type { Request, Response } from 'express';
import type { ResponseStream, StreamSink } from '../contract/response-stream.js';
import { markLongLived } from '../lifecycle/long-lived.js';
import { cameAsHead } from './head-as-get.js';
import { logFailure } from './request-log.js';

/** A handler's streaming result (src/contract/operations.ts): the head it settled, and the stream. */
export interface StreamResult {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly stream: ResponseStream;
}

/**
 * What every stream's head says to what stands between it and its client: store nothing
 * (`no-store`, and `no-cache` for the proxies that read only that), compress nothing (a
 * compressing proxy holds messages back until it has a block), and buffer nothing (nginx's
 * `X-Accel-Buffering`).
 */
const STREAM_HEADERS = {
  'Cache-Control': 'no-store, no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

/**
 * Takes the response over for a stream: sends its head at once, marks it long-lived (the
 * request's work is over: its in-flight slot, the metrics and shutdown see it as answered), and
 * runs the stream with a sink over the response. The sink's writes wait for the socket to drain
 * when the client reads slower than the stream writes, and it is closed when the client goes
 * away, the server ends the response (graceful shutdown) or the stream ends it. A stream that
 * fails ends the response, logged as the request's failure; its client reconnects.
 */
export function sendStream(req: Request, res: Response, { status, headers, stream }: StreamResult): void {
  const closing = new AbortController();
  const close = () => closing.abort();
  res.once('close', close);
  res.once('finish', close);
  res.set({ ...headers, ...STREAM_HEADERS, 'Content-Type': stream.contentType });
  res.status(status);
  res.flushHeaders();
  markLongLived(res);
  // A HEAD gets the head alone; a client gone while the handler ran gets nothing.
  if (cameAsHead(req)) res.end();
  if (res.writableEnded || res.destroyed) close();

  const sink: StreamSink = {
    closed: closing.signal,
    write: (chunk) => {
      if (closing.signal.aborted) return Promise.resolve(false);
      if (res.write(chunk)) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const settle = () => {
          res.off('drain', settle);
          closing.signal.removeEventListener('abort', settle);
          resolve(!closing.signal.aborted);
        };
        res.once('drain', settle);
        closing.signal.addEventListener('abort', settle, { once: true });
      });
    },
    end: () => {
      // A client that stopped taking data would hold an ending response open: it is dropped instead.
      if (res.writableNeedDrain) res.destroy();
      else if (!res.writableEnded) res.end();
      close();
    },
  };
  stream.run(sink).catch((error: unknown) => {
    logFailure(res, error instanceof Error ? error : new Error(String(error)));
    sink.end();
  });
}
