import { IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { HttpProblem, problemDocument } from './problem.js';
import { newRequestId } from './request-id.js';
import { securityHeaders } from './security-headers.js';

/** What Node's parser (llhttp) and its request timer report with a refused request. */
export interface ClientError extends Error {
  readonly code?: string;
  /** llhttp's words: fixed strings such as "Content-Length overflow", never the client's data. */
  readonly reason?: string;
  /** The packet being parsed when the error happened, and how far into it. */
  readonly rawPacket?: Buffer;
  readonly bytesParsed?: number;
}

export interface ClientErrorLimits {
  readonly requestTimeoutMs: number;
  readonly maxHeaderSize: number;
}

/** After our answer, how long a client that keeps its side open gets before the socket is destroyed. */
const LINGER_MS = 5_000;

/**
 * The server's `clientError` listener: a request Node refuses before the app sees it (not HTTP,
 * headers too large, too slow) is answered like any other error, with a problem document and a
 * request id, instead of Node's bare status line. The connection is closed: the parser cannot
 * resume after an error. Nothing is written when the socket cannot take it, or when a response
 * on it has already started (writing one would corrupt it); the socket is then destroyed, as Node does.
 */
export function clientErrorAnswer(
  limits: ClientErrorLimits,
  logger: Logger,
): (error: ClientError, socket: Duplex) => void {
  const fixedHeaders = headerLines({ ...appSecurityHeaders(), 'Cache-Control': 'no-store' });
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable || responseStarted(socket)) {
      socket.destroy();
      return;
    }
    const problem = problemFor(error, limits);
    const requestId = newRequestId();
    const body = JSON.stringify(problemDocument({ requestId, path: requestPath(error) }, problem));
    const head = [
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}`,
      'Content-Type: application/problem+json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      `Date: ${new Date().toUTCString()}`,
      `X-Request-Id: ${requestId}`,
      fixedHeaders,
    ].join('\r\n');
    socket.end(`${head}\r\n\r\n${body}`);
    const tcp = socket instanceof Socket ? socket : undefined;
    tcp?.setTimeout(LINGER_MS, () => tcp.destroy());
    // The code is Node's; nothing the client sent (no header value, no path) is logged.
    logger.warn(
      { request_id: requestId, status: problem.status, code: error.code, remote_address: tcp?.remoteAddress },
      'request refused before reaching the app',
    );
  };
}

function problemFor(error: ClientError, { requestTimeoutMs, maxHeaderSize }: ClientErrorLimits): HttpProblem {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HttpProblem(408, `The request was not received in full within ${requestTimeoutMs / 1000} s.`);
    case 'HPE_HEADER_OVERFLOW':
      return inRequestLine(error)
        ? new HttpProblem(
            414,
            `The request target is longer than the server accepts (${maxHeaderSize} bytes for the request line and headers).`,
          )
        : new HttpProblem(
            431,
            `The request line and headers are larger than the server accepts (${maxHeaderSize} bytes).`,
          );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new HttpProblem(413, 'The chunk extensions of the body are larger than the server accepts.');
    case 'HPE_INVALID_CONTENT_LENGTH':
      // A number beyond 2^64 − 1: the declared body is larger than anything the server takes.
      return error.reason === 'Content-Length overflow'
        ? new HttpProblem(413, 'The declared Content-Length is larger than the server accepts.')
        : new HttpProblem(400, 'The Content-Length header is not a number.');
    default:
      return new HttpProblem(
        400,
        `The request is not valid HTTP/1.1: ${MALFORMED[error.code ?? ''] ?? 'it could not be parsed'}.`,
      );
  }
}

/** What is wrong, by llhttp's error code, in our words. */
const MALFORMED: Record<string, string> = {
  HPE_INVALID_METHOD: 'the method is not a valid token',
  HPE_INVALID_URL: 'the request target is not valid',
  HPE_INVALID_VERSION: 'the HTTP version is not valid',
  HPE_INVALID_CONSTANT: 'the request line is not valid',
  HPE_INVALID_HEADER_TOKEN: 'a header name or value has a character HTTP does not allow (a control character, say)',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length is sent more than once, or with Transfer-Encoding',
  HPE_INVALID_TRANSFER_ENCODING: 'the Transfer-Encoding is not valid',
  HPE_INVALID_CHUNK_SIZE: 'a chunk size of the body is not valid',
  HPE_CR_EXPECTED: 'a line does not end with CRLF',
  HPE_LF_EXPECTED: 'a line does not end with CRLF',
};

/** A method (an HTTP token) and a space: how a request line starts. */
const METHOD = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+ ";
const REQUEST_LINE_START = new RegExp(METHOD);
/** A whole request line with a path as its target. */
const REQUEST_LINE = new RegExp(`${METHOD}(/[!-~]*) HTTP/\\d\\.\\d\\r?\\n`);

/**
 * Whether the header section overflowed while Node was still reading the request line: the packet
 * starts a request, and holds no line break before the point of the error. When the line was
 * split over packets this cannot be told, and the answer is 431, true of the section as a whole.
 */
function inRequestLine({ rawPacket, bytesParsed }: ClientError): boolean {
  if (rawPacket === undefined || bytesParsed === undefined) return false;
  const parsed = rawPacket.subarray(0, bytesParsed).toString('latin1');
  return REQUEST_LINE_START.test(parsed) && !parsed.includes('\n');
}

/** The path of a request whose request line is complete and well-formed, for `instance`. */
function requestPath({ rawPacket }: ClientError): string | undefined {
  const line = REQUEST_LINE.exec(rawPacket?.toString('latin1') ?? '');
  return line?.[1]?.split('?')[0];
}

/**
 * Whether a response has started on this connection: Node's own default answer checks the
 * same (`_httpMessage` is the response in flight on the socket).
 */
function responseStarted(socket: Duplex): boolean {
  return (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage?.headersSent === true;
}

/** The headers the app's security middleware sets on every response, read from the middleware itself. */
function appSecurityHeaders(): Record<string, string> {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  const middleware = securityHeaders() as unknown as (req: unknown, res: ServerResponse, next: () => void) => void;
  middleware(res.req, res, () => undefined);
  // getRawHeaderNames (Node 15.13+, missing from our @types/node): the names as the middleware spelled them.
  const names = (res as ServerResponse & { getRawHeaderNames(): string[] }).getRawHeaderNames();
  return Object.fromEntries(
    names.map((name) => {
      const value = res.getHeader(name);
      return [name, Array.isArray(value) ? value.join(', ') : String(value)];
    }),
  );
}

function headerLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n');
}
