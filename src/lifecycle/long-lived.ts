import type { ServerResponse } from 'node:http';

// A response that stays open once its handler is done (the live event stream) may last hours.
// What follows a request's work (the in-flight limit's slot, load shedding's count of busy
// connections, the request metrics, graceful shutdown) must treat it as answered from the moment
// it went on as a stream, not wait for its close: this is how they hear of that moment.

const LONG_LIVED = Symbol('long-lived');

interface Marked {
  [LONG_LIVED]?: true;
}

/** Says that `res` has sent its head and now goes on as a stream, for as long as its client stays. */
export function markLongLived(res: ServerResponse): void {
  (res as ServerResponse & Marked)[LONG_LIVED] = true;
  res.emit(LONG_LIVED);
}

export function isLongLived(res: ServerResponse): boolean {
  return (res as ServerResponse & Marked)[LONG_LIVED] === true;
}

/**
 * Calls `done` once, when the request's work is over: the response has closed (sent, failed, or
 * abandoned by its client), or it went on as a long-lived stream.
 */
export function whenWorkIsOver(res: ServerResponse, done: () => void): void {
  const over = () => {
    res.off('close', over);
    res.off(LONG_LIVED, over);
    done();
  };
  res.once('close', over);
  res.once(LONG_LIVED, over);
}

/** Calls `listener` once, when the response has sent its last byte or went on as a long-lived stream. */
export function whenAnswered(res: ServerResponse, listener: () => void): void {
  const answered = () => {
    res.off('finish', answered);
    res.off(LONG_LIVED, answered);
    listener();
  };
  res.once('finish', answered);
  res.once(LONG_LIVED, answered);
}
