import { expect } from 'chai';
import type { components } from '../../generated/api.js';
import { MAX_KEY_LENGTH } from '../../src/ordering/positions.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import { expectProblem, TestUser, type ApiResponse } from '../helpers/api-client.js';
import { startTestServer } from '../helpers/test-server.js';

// Issue 16: manual order of lists (moveList): after, before, last; a list already in place is not
// written; refusals (another user's list, a neighbour that is not another of the user's lists,
// both neighbours, a stale or missing If-Match); concurrent moves; a rebalance when keys run out.

type List = components['schemas']['List'];

const move = (user: TestUser, id: number, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  user.call<List>('POST', `/api/${encodeURIComponent(user.id)}/lists/${id}/move`, { json: body, headers });

function moved(response: ApiResponse<List>): List {
  expect(response.status, JSON.stringify(response.body)).to.equal(200);
  expect(response.headers.get('etag')).to.match(/^"[\w-]+"$/);
  return response.body;
}

/** New lists of the user's, in this order (the lists API is another operation's: written directly). */
async function newLists(suite: ApiSuite, user: TestUser, count: number): Promise<number[]> {
  await user.call('GET', '/tasks'); // the user exists once they have called
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const [row] = await suite
      .database()
      .knex('lists')
      .insert({ user_id: user.id, name: `List ${i}` })
      .returning<{ id: string }[]>('id');
    ids.push(Number(row!.id));
  }
  return ids;
}

/** The user's lists in manual order, with their keys. */
async function order(suite: ApiSuite, user: TestUser): Promise<{ id: number; position: string }[]> {
  const rows = await suite
    .database()
    .knex('lists')
    .where('user_id', user.id)
    .orderBy('position')
    .select<{ id: string; position: string }[]>('id', 'position');
  return rows.map((row) => ({ id: Number(row.id), position: row.position }));
}

const ids = (rows: { id: number }[]) => rows.map((row) => row.id);

describeEachDatabase('list moves: manual order', (suite) => {
  it('moves a list after, before and last; a list already in place is not written', async () => {
    const alice = suite.newUser();
    const [a, b, c] = await newLists(suite, alice, 3);
    const list = moved(await move(alice, c!, { after_id: a! }));
    expect(list).to.include({ id: c, user_id: alice.id, name: 'List 2', is_default: false, color: null });
    expect(ids(await order(suite, alice))).to.deep.equal([a, c, b]);
    moved(await move(alice, a!, { before_id: b! }));
    expect(ids(await order(suite, alice))).to.deep.equal([c, a, b]);
    moved(await move(alice, c!, {}));
    expect(ids(await order(suite, alice))).to.deep.equal([a, b, c]);

    const stamp = await suite.database().knex('lists').where('id', b!).first<{ change_seq: string }>('change_seq');
    const again = moved(await move(alice, b!, { after_id: a! }));
    const still = await suite.database().knex('lists').where('id', b!).first<{ change_seq: string }>('change_seq');
    expect(still).to.deep.equal(stamp);
    expect(moved(await move(alice, b!, { before_id: c! }))).to.deep.equal(again);
  });

  it("refuses another user's list (404), a neighbour that is not another of the user's lists (409), both (400)", async () => {
    const alice = suite.newUser();
    const bob = suite.newUser();
    const [a, b] = await newLists(suite, alice, 2);
    const [theirs] = await newLists(suite, bob, 1);
    const notFound = expectProblem(await move(bob, a!, {}), 404);
    expect(notFound.detail).to.equal(`List ${a} was not found.`);
    const foreign = expectProblem(await move(alice, a!, { after_id: theirs! }), 409);
    expect(foreign.detail).to.equal(`List ${theirs} is not one of your lists.`);
    expect(foreign.errors).to.deep.equal([
      { location: 'body', pointer: '/after_id', message: 'is not another of your lists' },
    ]);
    const itself = expectProblem(await move(alice, a!, { before_id: a! }), 409);
    expect(itself.detail).to.equal(`List ${a} cannot be placed next to itself.`);
    expectProblem(await move(alice, a!, { after_id: b!, before_id: b! }), 400);
    expect(ids(await order(suite, alice))).to.deep.equal([a, b]);
  });

  it('holds the move to If-Match on the list (412; 428 on a server that requires it)', async () => {
    const alice = suite.newUser();
    const [a, b] = await newLists(suite, alice, 2);
    const first = await move(alice, a!, { after_id: b! });
    const tag = first.headers.get('etag')!;
    moved(await move(alice, a!, { before_id: b! }, { 'If-Match': tag }));
    expectProblem(await move(alice, a!, { after_id: b! }, { 'If-Match': tag }), 412);
    expect(ids(await order(suite, alice))).to.deep.equal([a, b]);
    const strict = await startTestServer(suite.database().knex, { http: { requireIfMatch: true } });
    try {
      expectProblem(await move(new TestUser(strict.baseUrl, alice.id), a!, {}), 428);
    } finally {
      await strict.close();
    }
  });

  it('serializes concurrent moves into one gap: every one answered, every key distinct', async () => {
    const alice = suite.newUser();
    const [anchor, next, ...movers] = await newLists(suite, alice, 10);
    const answers = await Promise.all(movers.map((id) => move(alice, id, { after_id: anchor! })));
    for (const answer of answers) moved(answer);
    const listed = await order(suite, alice);
    expect(new Set(listed.map((row) => row.position)).size).to.equal(listed.length);
    expect(listed[0]!.id).to.equal(anchor);
    expect(listed.at(-1)!.id).to.equal(next);
    const kept = new Map(listed.map((row) => [row.id, row.position]));
    for (const answer of answers) expect(kept.get(answer.body.id)).to.equal(answer.body.position);
  });

  it('rebalances the lists, in order, when the key between two neighbours would be too long', async () => {
    const alice = suite.newUser();
    const [a, b, c] = await newLists(suite, alice, 3);
    // Neighbours a and b with keys as close as keys get at the longest allowed.
    const close = 'a0' + 'V'.repeat(MAX_KEY_LENGTH - 2);
    await suite.database().knex('lists').where('id', a!).update({ position: close });
    await suite
      .database()
      .knex('lists')
      .where('id', b!)
      .update({ position: close.slice(0, -1) + 'W' });
    const list = moved(await move(alice, c!, { after_id: a! }));
    const listed = await order(suite, alice);
    expect(ids(listed)).to.deep.equal([a, c, b]);
    // Below 'a0', where no change number's key is: a create in flight cannot hold one of them.
    for (const row of listed) expect(row.position).to.match(/^Z[0-9A-Za-z]$/);
    expect(list.position).to.equal(listed[1]!.position);
  });
});
