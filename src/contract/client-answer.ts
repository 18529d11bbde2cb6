/**
 * An error that is an answer for the client (a 400, a 401, a 404, a 429), not a fault: the error
 * handler turns it into a problem document and no log line ever shows its stack trace, so it
 * captures none. Capturing one costs several microseconds at each throw, more than the rest of the
 * error's way to the client, and a flood of refusals (401s, 429s) is when they must stay cheap.
 */
export class ClientAnswer extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}
