import { expect } from 'chai';
import { EventStreamParser, type EventStreamMessage } from '../../generated/sdk/dist/index.js';

// The SDK's reading of text/event-stream (the HTML standard's "event stream interpretation"),
// beyond what this server writes: any SSE server, or a proxy in between, may write these.

/** Everything `chunks` make, fed one after the other. */
function parse(chunks: string[], lastEventId?: string): EventStreamMessage[] {
  const parser = new EventStreamParser(lastEventId);
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe('SDK: reading an event stream', () => {
  it('reads messages ended by a blank line, whatever the line endings (LF, CRLF, CR)', () => {
    for (const end of ['\n', '\r\n', '\r']) {
      const text = ['id: 1', 'event: task.created', 'data: {"a":1}', '', ''].join(end);
      expect(parse([text]), JSON.stringify(end)).to.deep.equal([{ id: '1', event: 'task.created', data: '{"a":1}' }]);
    }
  });

  it('reads a message split anywhere across chunks, a CRLF split between two among them', () => {
    const text = 'id: 7\r\nevent: task.updated\r\ndata: {"title":"ünïcode"}\r\n\r\n';
    for (let at = 1; at < text.length; at += 1) {
      expect(parse([text.slice(0, at), text.slice(at)]), `split at ${at}`).to.deep.equal([
        { id: '7', event: 'task.updated', data: '{"title":"ünïcode"}' },
      ]);
    }
  });

  it('skips comments (heartbeats) and a leading byte order mark; joins data lines with newlines', () => {
    const text = '\uFEFF: heartbeat\n\ndata: first\ndata:second\n: note\n\n';
    expect(parse([text])).to.deep.equal([{ id: undefined, event: 'message', data: 'first\nsecond' }]);
  });

  it('keeps the last id for later messages, ignores one holding NUL, and starts from the one given', () => {
    const text = 'id: 5\ndata: a\n\ndata: b\n\nid: 6\u00007\ndata: c\n\nid\ndata: d\n\n';
    expect(parse([text], '4').map((message) => message.id)).to.deep.equal(['5', '5', '5', '']);
    expect(parse(['data: x\n\n'], '4')[0]!.id).to.equal('4');
  });

  it('takes an id alone (the server position) as the last event id, without a message, once its block ends', () => {
    const parser = new EventStreamParser();
    expect(parser.push('id: 41\n')).to.deep.equal([]);
    expect(parser.lastEventId, 'not before its blank line').to.equal(undefined);
    expect(parser.push('\n')).to.deep.equal([]);
    expect(parser.lastEventId).to.equal('41');
  });

  it('sends nothing for a message without data, and nothing before its blank line', () => {
    expect(parse(['event: reset\n\n', 'id: 9\nevent: task.created\ndata: {}\n'])).to.deep.equal([]);
  });
});
