import { expect } from 'chai';
import { InvalidCursorError } from '../../src/tasks/task-errors.js';
import { decodeCursor, encodeCursor } from '../../src/tasks/list-cursor.js';

describe('list cursor', () => {
  const position = { createdAt: '2026-11-21T09:30:00.123Z', id: 42, status: 'open' };

  it('round-trips a position', () => {
    expect(decodeCursor(encodeCursor(position), 'open')).to.deep.equal(position);
  });

  it('is URL-safe', () => {
    expect(encodeCursor(position)).to.match(/^[A-Za-z0-9_-]+$/);
  });

  it('is refused with another status filter', () => {
    expect(() => decodeCursor(encodeCursor(position), 'all')).to.throw(InvalidCursorError, /other filters/);
  });

  const forged = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
  const invalid: [string, string][] = [
    ['garbage', '!!!'],
    ['base64 of text that is not JSON', Buffer.from('hello').toString('base64url')],
    ['a JSON array', forged([1, 2])],
    ['another version', forged({ v: 2, c: position.createdAt, i: 1, s: 'open' })],
    ['a non-canonical timestamp', forged({ v: 1, c: '2026-11-21', i: 1, s: 'open' })],
    ['year 0, which PostgreSQL cannot hold', forged({ v: 1, c: '0000-01-01T00:00:00.000Z', i: 1, s: 'open' })],
    ['an extended year', forged({ v: 1, c: '+010000-01-01T00:00:00.000Z', i: 1, s: 'open' })],
    ['an id that is not a positive integer', forged({ v: 1, c: position.createdAt, i: -3, s: 'open' })],
    ['a fractional id', forged({ v: 1, c: position.createdAt, i: 1.5, s: 'open' })],
  ];
  for (const [name, cursor] of invalid) {
    it(`refuses ${name}`, () => {
      expect(() => decodeCursor(cursor, 'open')).to.throw(InvalidCursorError, /not a cursor this API issued/);
    });
  }
});
