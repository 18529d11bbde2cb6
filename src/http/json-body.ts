import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';

/** The `type` of the error a body that is not UTF-8 raises (body-parser's errors carry one too). */
export const NOT_UTF8 = 'entity.utf8.invalid';

/** A body-reading error (http-errors style) for bytes that are not UTF-8, and where they start. */
export class NotUtf8Error extends Error {
  readonly status = 400;
  readonly expose = true;
  readonly type = NOT_UTF8;

  constructor(readonly offset: number) {
    super('The request body is not valid UTF-8.');
  }
}

/**
 * JSON bodies (`application/json`, `application/merge-patch+json`...), which must be UTF-8 (RFC
 * 8259): body-parser would decode other bytes to U+FFFD and the text would be stored changed, so
 * they are refused before parsing. Other charsets body-parser accepts (`utf-16`...) are left to it.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  return express.json({
    limit: limitBytes,
    type: ['application/json', 'application/*+json'],
    verify: (_req: IncomingMessage, _res: ServerResponse, bytes: Buffer, charset: string) => {
      if (charset === 'utf-8' && !isUtf8(bytes)) throw new NotUtf8Error(firstInvalidByte(bytes));
    },
  });
}

const REPLACEMENT = Buffer.from('\uFFFD');

/** The offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidByte(bytes: Buffer): number {
  const text = bytes.toString('utf8'); // each ill-formed part becomes one U+FFFD
  let offset = 0;
  for (const character of text) {
    const length = Buffer.byteLength(character);
    // A U+FFFD that was not sent as its own three bytes stands for bytes that were not UTF-8.
    if (character === '\uFFFD' && !bytes.subarray(offset, offset + 3).equals(REPLACEMENT)) return offset;
    offset += length;
  }
  return offset;
}
