import { expect } from 'chai';
import { assertConformsToSpec } from '../helpers/spec-conformance.js';

/** The response check that every API test relies on must itself catch what breaks the contract. */
describe('spec conformance check', () => {
  const json = new Headers({ 'content-type': 'application/json; charset=utf-8' });
  const task = {
    id: 1,
    user_id: 'alice',
    list_id: 1,
    parent_id: null,
    position: 'a0',
    title: 'Buy milk',
    description: null,
    completed: false,
    completed_at: null,
    priority: 'none',
    tags: [],
    due_date: null,
    due_at: null,
    time_zone: null,
    recurrence: null,
    reminders: [],
    series_id: null,
    next_occurrence_id: null,
    created_at: '2026-11-21T09:30:00.000Z',
    updated_at: '2026-11-21T09:30:00.000Z',
  };
  const getTask = {
    method: 'GET',
    path: '/api/alice/tasks/1',
    status: 200,
    headers: new Headers({ ...Object.fromEntries(json), etag: '"5Zx7Rgq1n0m9cDq1oZ3Kxw"' }),
  };

  it('accepts a response the spec allows', () => {
    assertConformsToSpec({ ...getTask, body: task });
  });

  it('accepts a response without the headers the spec documents as optional (CORS, rate limits)', () => {
    expect(getTask.headers.has('ratelimit')).to.equal(false);
    expect(getTask.headers.has('access-control-allow-origin')).to.equal(false);
    assertConformsToSpec({ ...getTask, body: task });
  });

  const broken: [string, object][] = [
    ['a missing field', { ...getTask, body: { ...task, title: undefined } }],
    ['an extra field', { ...getTask, body: { ...task, secret: 'x' } }],
    ['a wrong type', { ...getTask, body: { ...task, id: '1' } }],
    ['a timestamp that is not date-time', { ...getTask, body: { ...task, created_at: 'yesterday' } }],
    ['an undocumented status', { ...getTask, status: 418, body: task }],
    ['an undocumented content type', { ...getTask, headers: new Headers({ 'content-type': 'text/html' }), body: task }],
    ['a 200 task without its required ETag', { ...getTask, headers: json, body: task }],
    [
      'an ETag that breaks the documented pattern',
      { ...getTask, headers: new Headers({ 'content-type': 'application/json', etag: 'W/"weak"' }), body: task },
    ],
    [
      'a RateLimit header over its documented length',
      {
        ...getTask,
        headers: new Headers({ 'content-type': 'application/json', etag: '"a"', ratelimit: 'x'.repeat(257) }),
        body: task,
      },
    ],
    [
      'a 201 without its Location header',
      { method: 'POST', path: '/api/alice/tasks', status: 201, headers: json, body: task },
    ],
    [
      'a 401 without WWW-Authenticate',
      {
        ...getTask,
        status: 401,
        headers: new Headers({ 'content-type': 'application/problem+json' }),
        body: { type: 'about:blank', title: 'Unauthorized', status: 401, request_id: 'r' },
      },
    ],
    ['an unknown route answered with JSON', { method: 'GET', path: '/nope', status: 404, headers: json, body: {} }],
    [
      'an unknown route answered with success',
      {
        method: 'GET',
        path: '/nope',
        status: 200,
        headers: new Headers({ 'content-type': 'application/problem+json' }),
        body: { type: 'about:blank', title: 'OK', status: 400, request_id: 'r' },
      },
    ],
  ];
  it("rejects a header outside its named schema's pattern", () => {
    const headers = new Headers({ ...Object.fromEntries(json), etag: 'unquoted' });
    expect(() => assertConformsToSpec({ ...getTask, headers, body: task })).to.throw(
      /header ETag "unquoted" does not match/,
    );
  });

  for (const [name, response] of broken) {
    it(`rejects ${name}`, () => {
      expect(() => assertConformsToSpec(response as Parameters<typeof assertConformsToSpec>[0])).to.throw();
    });
  }
});
