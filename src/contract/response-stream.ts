/**
 * The body of a response that goes on after its handler has returned (the live event stream):
 * the handler settles everything that may still be refused (the slot, the starting point), and
 * returns this; the HTTP adapter then sends the head and runs it until either side ends it.
 */
export interface ResponseStream {
  /** Its media type, e.g. `text/event-stream`. */
  readonly contentType: string;
  /**
   * Writes the body until `sink.closed` is aborted (or ends it itself), then lets go of what it
   * holds. Called exactly once for every stream a handler returned, with a sink already closed
   * when nothing may be sent (a HEAD request, a client gone before the head was sent).
   */
  run(sink: StreamSink): Promise<void>;
}

/** Where a stream writes: the response, seen as text going out. */
export interface StreamSink {
  /**
   * Sends `chunk` now. Resolves with true once the client may take more (at once, unless the
   * connection's buffers are full: then when they have drained), with false once the stream is
   * closed: nothing more will be sent.
   */
  write(chunk: string): Promise<boolean>;
  /** Aborted when the stream is over: the client went away, the server is shutting down, or `end()`. */
  readonly closed: AbortSignal;
  /** Ends the response after what was written (drops it if its client has stopped taking data) and closes the stream. */
  end(): void;
}
