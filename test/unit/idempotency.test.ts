import { expect } from 'chai';
import { pino } from 'pino';
import { DomainError } from '../../src/contract/domain-error.js';
import { domainProblem } from '../../src/http/error-mapping.js';
import { canonicalJson, requestFingerprint, type FingerprintedRequest } from '../../src/idempotency/fingerprint.js';
import {
  idempotencyGuard,
  type GuardedRequest,
  type HandlerResult,
} from '../../src/idempotency/idempotency.service.js';
import { parseIdempotencyKey } from '../../src/idempotency/key.js';
import type { Claim, IdempotencyStore, StoredResponse } from '../../src/idempotency/idempotency.store.js';

describe('idempotency: the key', () => {
  it('is the same bare or as a structured-field string', () => {
    expect(parseIdempotencyKey('abc')).to.equal('abc');
    expect(parseIdempotencyKey('"abc"')).to.equal('abc');
    expect(parseIdempotencyKey('" a b "')).to.equal(' a b ');
  });
});

describe('idempotency: the request fingerprint', () => {
  const request: FingerprintedRequest = {
    operationId: 'createTask',
    path: { user_id: 'alice' },
    query: {},
    headers: { 'Idempotency-Key': 'one' },
    body: { title: 'Buy milk', tags: ['a', 'b'], due: { date: '2026-12-01', zone: null } },
  };
  const fingerprint = requestFingerprint(request);

  it('is a SHA-256 in hex', () => {
    expect(fingerprint).to.match(/^[0-9a-f]{64}$/);
  });

  it('ignores the order of JSON keys and the key itself', () => {
    const reordered = {
      ...request,
      headers: { 'Idempotency-Key': 'two' },
      body: { due: { zone: null, date: '2026-12-01' }, tags: ['a', 'b'], title: 'Buy milk' },
    };
    expect(requestFingerprint(reordered)).to.equal(fingerprint);
  });

  for (const [name, change] of [
    ['operation', { operationId: 'bulkTasks' }],
    ['path', { path: { user_id: 'bob' } }],
    ['query', { query: { limit: 1 } }],
    ['another declared header (If-Match)', { headers: { 'Idempotency-Key': 'one', 'If-Match': '"x"' } }],
    ['body value', { body: { ...(request.body as object), title: 'Buy bread' } }],
    ['order of an array', { body: { ...(request.body as object), tags: ['b', 'a'] } }],
    ['no body rather than an empty one', { body: undefined }],
  ] as const) {
    it(`changes with the ${name}`, () => {
      expect(requestFingerprint({ ...request, ...change })).to.not.equal(fingerprint);
    });
  }

  it('tells an absent body from an empty object, and a number from a string', () => {
    expect(requestFingerprint({ ...request, body: undefined })).to.not.equal(
      requestFingerprint({ ...request, body: {} }),
    );
    expect(requestFingerprint({ ...request, path: { task_id: 1 } })).to.not.equal(
      requestFingerprint({ ...request, path: { task_id: '1' } }),
    );
  });

  it('canonical JSON sorts keys at every level and leaves undefined properties out', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: undefined }, '10': true, '9': 'x"y' })).to.equal(
      '{"10":true,"9":"x\\"y","a":{"d":[3,{"e":2,"f":1}]},"b":1}',
    );
  });
});

/** A store that answers claims as told and records what the guard asks of it. */
function fakeStore(claim: Claim, { failComplete = false } = {}) {
  const calls: string[] = [];
  const store: IdempotencyStore = {
    claim: async (userId, key) => {
      calls.push(`claim ${userId} ${key}`);
      return claim;
    },
    complete: async (_userId, _key, attempt, response: StoredResponse) => {
      calls.push(`complete ${attempt} ${response.status}`);
      if (failComplete) throw new Error('connection lost');
      return true;
    },
    release: async (_userId, _key, attempt) => {
      calls.push(`release ${attempt}`);
    },
  };
  return { store, calls };
}

function guarded(key: string | undefined, overrides: Partial<GuardedRequest> = {}): GuardedRequest {
  return {
    operationId: 'createTask',
    path: { user_id: 'alice' },
    query: {},
    headers: key === undefined ? {} : { 'Idempotency-Key': key },
    body: { title: 'x' },
    user: { id: 'alice' },
    log: pino({ level: 'silent' }),
    ...overrides,
  };
}

const created: HandlerResult = { status: 201, body: { id: 1 }, headers: { Location: '/api/alice/tasks/1' } };
const CLAIMED: Claim = { outcome: 'claimed', attempt: 'attempt-1' };

describe('idempotency: the guard', () => {
  it('runs a request without a key and never asks the store', async () => {
    const { store, calls } = fakeStore(CLAIMED);
    expect(await idempotencyGuard(store)(guarded(undefined), async () => created)).to.equal(created);
    expect(calls).to.deep.equal([]);
  });

  it('claims the unquoted key for the user, runs the request and stores its success', async () => {
    const { store, calls } = fakeStore(CLAIMED);
    expect(await idempotencyGuard(store)(guarded('"k"'), async () => created)).to.equal(created);
    expect(calls).to.deep.equal(['claim alice k', 'complete attempt-1 201']);
  });

  it('replays a stored response without running the request', async () => {
    const stored = { status: 201, headers: { Location: '/api/alice/tasks/1' }, body: { id: 1 } };
    const { store } = fakeStore({ outcome: 'replay', response: stored });
    const result = await idempotencyGuard(store)(guarded('k'), () => Promise.reject(new Error('must not run')));
    expect(result).to.deep.equal(stored);
  });

  for (const [outcome, status] of [
    ['reused', 422],
    ['in_progress', 409],
  ] as const) {
    it(`answers ${status} when the key is ${outcome}, without running the request`, async () => {
      const { store } = fakeStore({ outcome });
      const error = await idempotencyGuard(store)(guarded('k'), () => Promise.reject(new Error('must not run'))).catch(
        (caught: unknown) => caught,
      );
      expect(error).to.be.instanceOf(DomainError);
      expect(domainProblem(error as DomainError)).to.include({ status });
    });
  }

  it('releases the key when the request fails, and passes the error on', async () => {
    const { store, calls } = fakeStore(CLAIMED);
    const failure = new Error('not found');
    const error = await idempotencyGuard(store)(guarded('k'), () => Promise.reject(failure)).catch(
      (caught: unknown) => caught,
    );
    expect(error).to.equal(failure);
    expect(calls).to.deep.equal(['claim alice k', 'release attempt-1']);
  });

  it('keeps only successes: a non-2xx result releases the key', async () => {
    const { store, calls } = fakeStore(CLAIMED);
    const notModified: HandlerResult = { status: 304, body: undefined };
    expect(await idempotencyGuard(store)(guarded('k'), async () => notModified)).to.equal(notModified);
    expect(calls).to.deep.equal(['claim alice k', 'release attempt-1']);
  });

  it('still answers with the result when storing it fails: the write is done', async () => {
    const { store, calls } = fakeStore(CLAIMED, { failComplete: true });
    expect(await idempotencyGuard(store)(guarded('k'), async () => created)).to.equal(created);
    expect(calls).to.deep.equal(['claim alice k', 'complete attempt-1 201']);
  });

  it('refuses a key on a request without a user: keys belong to users', async () => {
    const { store } = fakeStore(CLAIMED);
    const error = await idempotencyGuard(store)(guarded('k', { user: undefined }), async () => created).catch(
      (caught: unknown) => caught,
    );
    expect(error)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/public/);
  });
});
