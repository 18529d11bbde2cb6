import { expect } from 'chai';
import { decodeCursor, encodeCursor } from '../../src/tasks/list-cursor.js';
import type { ListFilters, ListPosition, ListView, SortName } from '../../src/tasks/list-query.js';
import { InvalidCursorError } from '../../src/tasks/task-errors.js';

const FILTERS: ListFilters = {
  listId: null,
  parentId: null,
  completion: 'open',
  priorities: [3, 1],
  tags: ['work', 'home'],
  dueAfter: new Date('2026-11-01T00:00:00.000Z'),
  dueBefore: null,
  overdue: false,
  search: 'quarterly report',
};
const view = (sort: SortName, changes: Partial<ListFilters> = {}): ListView => ({
  filters: { ...FILTERS, ...changes },
  sort,
  direction: 'asc',
});

/** The JSON inside a cursor, changed and encoded again: a cursor the API never issued. */
function tampered(cursor: string, change: (payload: Record<string, unknown>) => void): string {
  const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  change(payload);
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

describe('list cursor', () => {
  const positions: [SortName, ListPosition][] = [
    ['created_at', { value: new Date('2026-11-21T09:30:00.123Z'), id: 42 }],
    ['updated_at', { value: new Date('2026-11-21T09:30:00.000Z'), id: 1 }],
    ['due', { value: new Date('0001-01-01T10:00:00.000Z'), id: 7 }],
    ['due', { value: new Date('9999-12-31T23:59:59.999Z'), id: 7 }],
    ['due', { value: null, id: 7 }],
    ['priority', { value: 3, id: Number.MAX_SAFE_INTEGER }],
    ['title', { value: 'Äpfel "kaufen" \\ 😀', id: 9 }],
    ['relevance', { value: Math.fround(0.0607927), id: 5, candidatesUpTo: 9 }],
  ];
  for (const [sort, position] of positions) {
    it(`round-trips a ${sort} position (${String(position.value)}) in URL-safe text`, () => {
      const cursor = encodeCursor(view(sort), position);
      expect(cursor).to.match(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor, view(sort))).to.deep.equal(position);
    });
  }

  it('carries a rank as the float4 it is, whatever double it was read as', () => {
    const read = 0.0607927; // how a driver parses PostgreSQL's text for a real
    const cursor = encodeCursor(view('relevance'), { value: read, id: 5, candidatesUpTo: 9 });
    expect(decodeCursor(cursor, view('relevance')).value).to.equal(Math.fround(read));
  });

  it('fits the same view spelled another way: sets in any order, repeats, instants in another zone', () => {
    const cursor = encodeCursor(view('title'), { value: 'a', id: 1 });
    const same = view('title', {
      priorities: [1, 3, 3],
      tags: ['home', 'work'],
      dueAfter: new Date('2026-11-01T01:00:00+01:00'),
    });
    expect(decodeCursor(cursor, same)).to.deep.equal({ value: 'a', id: 1 });
  });

  const otherViews: [string, ListView][] = [
    ['another status', view('title', { completion: 'all' })],
    ['other priorities', view('title', { priorities: [3] })],
    ['other tags', view('title', { tags: ['work'] })],
    ['another due_after', view('title', { dueAfter: new Date('2026-11-01T00:00:00.001Z') })],
    ['a due_before', view('title', { dueBefore: new Date('2026-12-01T00:00:00.000Z') })],
    ['another overdue', view('title', { overdue: null })],
    ['another search', view('title', { search: 'quarterly' })],
    ['another sort', view('created_at')],
    ['another order', { ...view('title'), direction: 'desc' }],
  ];
  for (const [name, other] of otherViews) {
    it(`is refused with ${name}`, () => {
      const cursor = encodeCursor(view('title'), { value: '2026-11-21T09:30:00.123Z', id: 1 });
      expect(() => decodeCursor(cursor, other)).to.throw(InvalidCursorError, /other filters/);
    });
  }

  const issued = encodeCursor(view('created_at'), { value: new Date('2026-11-21T09:30:00.123Z'), id: 42 });
  const forged = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
  const invalid: [string, string, SortName?][] = [
    ['garbage', '!!!'],
    ['base64 of text that is not JSON', Buffer.from('hello').toString('base64url')],
    ['a JSON array', forged([1, 2])],
    ['JSON null', forged(null)],
    ['a version 1 cursor', forged({ v: 1, c: '2026-11-21T09:30:00.123Z', i: 1, s: 'open' })],
    ['another version', tampered(issued, (payload) => (payload.v = 3))],
    ['an extra member', tampered(issued, (payload) => (payload.x = 1))],
    ['a missing member', tampered(issued, (payload) => delete payload.f)],
    ['an unknown sort', tampered(issued, (payload) => (payload.s = 'toString'))],
    ['an unknown order', tampered(issued, (payload) => (payload.o = 'up'))],
    ['an id that is not a positive integer', tampered(issued, (payload) => (payload.i = -3))],
    ['a fractional id', tampered(issued, (payload) => (payload.i = 1.5))],
    ['an id beyond 2^53', tampered(issued, (payload) => (payload.i = 2 ** 53))],
    ['a short fingerprint', tampered(issued, (payload) => (payload.f = 'abc'))],
    ['a non-canonical timestamp', tampered(issued, (payload) => (payload.k = '2026-11-21'))],
    ['a timestamp PostgreSQL cannot hold', tampered(issued, (payload) => (payload.k = '+275760-09-13T00:00:00.000Z'))],
    [
      'an instant before year 1, which no task holds',
      tampered(issued, (payload) => (payload.k = '0000-12-31T10:00:00.000Z')),
    ],
    [
      'an instant after year 9999, which no task holds',
      tampered(issued, (payload) => (payload.k = '+010000-01-01T00:00:00.000Z')),
    ],
    ['a number for an instant', tampered(issued, (payload) => (payload.k = 1))],
    ['no value where the sort has one', tampered(issued, (payload) => (payload.k = null))],
    [
      'a priority beyond smallint',
      tampered(issued, (payload) => Object.assign(payload, { s: 'priority', k: 40000 })),
      'priority',
    ],
    [
      'text for a priority',
      tampered(issued, (payload) => Object.assign(payload, { s: 'priority', k: '1' })),
      'priority',
    ],
    ['a title with NUL', tampered(issued, (payload) => Object.assign(payload, { s: 'title', k: 'a\u0000b' })), 'title'],
    [
      'a title with a lone surrogate',
      tampered(issued, (payload) => Object.assign(payload, { s: 'title', k: 'a\ud800' })),
      'title',
    ],
    [
      'a rank that is no float4',
      tampered(issued, (payload) => Object.assign(payload, { s: 'relevance', k: 0.1, b: 42 })),
      'relevance',
    ],
    [
      'a rank beyond float4',
      tampered(issued, (payload) => Object.assign(payload, { s: 'relevance', k: 1e39, b: 42 })),
      'relevance',
    ],
    [
      'a relevance cursor whose candidates bound is no id',
      tampered(issued, (payload) => Object.assign(payload, { s: 'relevance', k: 0.5, b: 0 })),
      'relevance',
    ],
    [
      'a relevance cursor whose candidates bound is text',
      tampered(issued, (payload) => Object.assign(payload, { s: 'relevance', k: 0.5, b: '42' })),
      'relevance',
    ],
    ['a candidates bound on another sort', tampered(issued, (payload) => (payload.b = 42))],
  ];
  for (const [name, cursor, sort = 'created_at'] of invalid) {
    it(`refuses ${name}`, () => {
      expect(() => decodeCursor(cursor, view(sort))).to.throw(InvalidCursorError, /not a cursor this API issued/);
    });
  }

  it('refuses a relevance cursor of the earlier format (no candidates bound), saying to start again', () => {
    const current = encodeCursor(view('relevance'), { value: 0.5, id: 5, candidatesUpTo: 9 });
    const earlier = tampered(current, (payload) => delete payload.b);
    expect(() => decodeCursor(earlier, view('relevance'))).to.throw(
      InvalidCursorError,
      /relevance cursor from an earlier version of this API; start again without a cursor/,
    );
  });

  it('refuses a well-formed cursor that names a sort other than the fingerprinted one', () => {
    const relabelled = tampered(issued, (payload) => Object.assign(payload, { s: 'title', k: 'a' }));
    expect(() => decodeCursor(relabelled, view('title'))).to.throw(InvalidCursorError, /other filters/);
  });
});
