import { expect } from 'chai';
import knex from 'knex';
import { pino } from 'pino';
import { canonicalJson, requestFingerprint, type FingerprintedRequest } from '../../src/idempotency/fingerprint.js';
import {
  createIdempotencyGuard,
  type GuardedRequest,
  type HandlerResult,
} from '../../src/idempotency/idempotency.service.js';
import { lockId } from '../../src/idempotency/idempotency.store.js';
import { parseIdempotencyKey } from '../../src/idempotency/key.js';

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

describe("idempotency: the key's lock id", () => {
  it('is a signed 64-bit integer (what pg_try_advisory_xact_lock takes), the same for the same user and key', () => {
    const id = BigInt(lockId('alice', 'k'));
    expect(id).to.equal(BigInt.asIntN(64, id));
    expect(lockId('alice', 'k')).to.equal(String(id));
  });

  it("differs between users, keys, a user's keys lock, and ways of splitting the same characters", () => {
    const ids = [
      lockId('alice', 'k'),
      lockId('bob', 'k'),
      lockId('alice', 'l'),
      lockId('alicek', ''),
      lockId('alic', 'ek'),
      lockId('alice'),
    ];
    expect(new Set(ids).size).to.equal(ids.length);
  });
});

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

describe('idempotency: the guard, before any query', () => {
  // A Knex that never connects: any query fails. The guard's database behaviour is tested against
  // both databases in test/api/idempotency.test.ts; here, what it decides before any query.
  const unconnected = knex({ client: 'pg', connection: { host: '127.0.0.1', port: 1 }, acquireConnectionTimeout: 1 });
  after(() => unconnected.destroy());
  const limits = { keysPerUser: 1000, answerBytes: 65_536 };

  it('runs a request without a key as it is: no transaction, no query', async () => {
    expect(await createIdempotencyGuard(unconnected, limits)(guarded(undefined), async () => created)).to.equal(
      created,
    );
  });

  it('refuses a key on a request without a user: keys belong to users', async () => {
    const error = await createIdempotencyGuard(unconnected, limits)(
      guarded('k', { user: undefined }),
      async () => created,
    ).catch((caught: unknown) => caught);
    expect(error)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/public/);
  });
});
