import { expect } from 'chai';
import { expectProblem, type ApiResponse, type Task, type TestUser } from '../helpers/api-client.js';
import { describeEachDatabase } from '../helpers/api-suite.js';
import { RELEVANCE_CANDIDATES } from '../../src/tasks/list-query.js';

type Page = { items: Task[]; next_cursor: string | null };
type Query = [string, string][];

const SORTS = ['created_at', 'updated_at', 'due', 'priority', 'title', 'relevance'] as const;
const ORDERS = ['asc', 'desc'] as const;
const PRIORITIES = ['none', 'low', 'medium', 'high'];

/** Percent-encoded (a space as %20: the validator refuses `+`, a reserved character). */
function list(user: TestUser, query: Query): Promise<ApiResponse<Page>> {
  return user.call<Page>('GET', `/tasks?${query.map((pair) => pair.map(encodeURIComponent).join('=')).join('&')}`);
}

/** Follows next_cursor to the end; `between` runs after each page that has a next one. */
async function walk(
  user: TestUser,
  query: Query,
  between: (seen: number[]) => Promise<void> = async () => {},
): Promise<number[]> {
  const seen: number[] = [];
  let cursor: string | null = null;
  do {
    const response: ApiResponse<Page> = await list(user, cursor === null ? query : [...query, ['cursor', cursor]]);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    seen.push(...response.body.items.map((task) => task.id));
    cursor = response.body.next_cursor;
    if (cursor !== null) await between(seen);
  } while (cursor !== null && seen.length < 10_000);
  return seen;
}

/** The 400 names exactly this query parameter. */
function expectBadQuery(response: ApiResponse, pointer: string): void {
  const problem = expectProblem(response, 400);
  expect(problem.errors?.map((issue) => [issue.location, issue.pointer])).to.deep.equal([['query', pointer]]);
}

/**
 * One user's tasks, chosen so that every filter splits them and every sort has ties. Due keys:
 * milk 2020-01-05, offsite 2020-01-10 (both past; milk is completed, so only offsite is overdue),
 * zebra 2099-02-28T11:00Z (midnight in Auckland), report 2099-03-01T00:00Z, poker 2099-03-01T08:00Z.
 */
const FIXTURES = {
  offsite: {
    title: 'Plan the offsite',
    description: 'Agenda, rooms and travel',
    priority: 'high',
    tags: ['Work', 'travel'],
    due_date: '2020-01-10',
  },
  milk: { title: 'buy milk', priority: 'low', tags: ['home'], completed: true, due_date: '2020-01-05' },
  poker: {
    title: 'Planning poker',
    priority: 'medium',
    tags: ['work'],
    due_at: '2099-03-01T09:00:00+01:00',
    time_zone: 'Europe/Berlin',
  },
  apples: { title: 'Äpfel kaufen', tags: ['home', 'errand'] },
  zebra: { title: 'zebra crossing', priority: 'high', due_date: '2099-03-01', time_zone: 'Pacific/Auckland' },
  report: {
    title: 'write report',
    description: 'planned for Friday',
    priority: 'medium',
    tags: ['work', 'urgent'],
    due_date: '2099-03-01',
  },
  banana: { title: 'Banana bread', completed: true },
  plan: { title: 'plan plan plan', description: 'the plan' },
  same1: { title: 'same title' },
  same2: { title: 'same title' },
};
type Name = keyof typeof FIXTURES;
const NAMES = Object.keys(FIXTURES) as Name[];

describeEachDatabase('tasks: list filters, sorts and search', (suite) => {
  let alice: TestUser;
  const ids = {} as Record<Name, number>;
  const nameOf = (id: number) => NAMES.find((name) => ids[name] === id) ?? `#${id}`;
  /** The names listed for the query, in order, all pages of 100 at most. */
  const names = async (query: Query) => (await walk(alice, [...query, ['limit', '100']])).map(nameOf);

  before(async () => {
    alice = suite.newUser();
    for (const name of NAMES) ids[name] = (await alice.createTask(FIXTURES[name])).id;
  });

  /** Newest first, the default order. */
  const newestFirst = (...selected: Name[]) => NAMES.filter((name) => selected.includes(name)).reverse();

  describe('filters', () => {
    const cases: [string, Query, Name[]][] = [
      [
        'status=open',
        [['status', 'open']],
        newestFirst(...NAMES.filter((name) => name !== 'milk' && name !== 'banana')),
      ],
      ['status=completed', [['status', 'completed']], newestFirst('milk', 'banana')],
      ['one priority', [['priority', 'high']], newestFirst('offsite', 'zebra')],
      [
        'several priorities',
        [
          ['priority', 'low'],
          ['priority', 'medium'],
        ],
        newestFirst('milk', 'poker', 'report'),
      ],
      ['a tag, in any case (stored tags are lower case)', [['tag', 'WORK']], newestFirst('offsite', 'poker', 'report')],
      [
        'several tags: tasks having all of them',
        [
          ['tag', ' Work '],
          ['tag', 'urgent'],
        ],
        newestFirst('report'),
      ],
      ['due_after: inclusive', [['due_after', '2099-03-01T00:00:00Z']], newestFirst('poker', 'report')],
      ['due_after in another offset', [['due_after', '2099-03-01T01:00:00.000+01:00']], newestFirst('poker', 'report')],
      [
        'due_after with a space and an offset without colon',
        [['due_after', '2099-03-01 01:00:00+0100']],
        newestFirst('poker', 'report'),
      ],
      [
        'due_after at a leap second: the instant after 23:59:59',
        [['due_after', '2099-02-28T23:59:60z']],
        newestFirst('poker', 'report'),
      ],
      ['due_before: exclusive', [['due_before', '2099-03-01T00:00:00Z']], newestFirst('offsite', 'milk', 'zebra')],
      [
        'an all-day task is due at the start of its day in its zone',
        [['due_before', '2099-02-28T11:00:00.001Z']],
        newestFirst('offsite', 'milk', 'zebra'),
      ],
      [
        'a due window',
        [
          ['due_after', '2099-02-28T11:00:00Z'],
          ['due_before', '2099-03-01T08:00:00Z'],
        ],
        newestFirst('zebra', 'report'),
      ],
      ['overdue=true: open tasks past due', [['overdue', 'true']], newestFirst('offsite')],
      [
        'overdue=false: all the others',
        [['overdue', 'false']],
        newestFirst(...NAMES.filter((name) => name !== 'offsite')),
      ],
      [
        'q: words in title or description, in any form',
        [
          ['q', 'plan'],
          ['sort', 'created_at'],
        ],
        newestFirst('offsite', 'poker', 'report', 'plan'),
      ],
      ['q: every word must match', [['q', 'planning friday']], newestFirst('report')],
      ['q: web search syntax (phrases, exclusions)', [['q', '"plan the offsite" -poker']], newestFirst('offsite')],
      ['q: a word no task has', [['q', 'zeppelin']], []],
      ['q: only stop words', [['q', 'the']], []],
      [
        'filters combined',
        [
          ['status', 'open'],
          ['tag', 'work'],
          ['priority', 'medium'],
          ['q', 'plans'],
          ['sort', 'created_at'],
        ],
        newestFirst('poker', 'report'),
      ],
    ];
    for (const [name, query, expected] of cases) {
      it(name, async () => {
        expect(await names(query)).to.deep.equal(expected);
      });
    }
  });

  describe('sorts', () => {
    const undated: Name[] = ['apples', 'banana', 'plan', 'same1', 'same2'];
    const byTitle: Name[] = [
      'apples',
      'banana',
      'milk',
      'plan',
      'offsite',
      'poker',
      'same1',
      'same2',
      'report',
      'zebra',
    ];
    const byPriority: Name[] = [
      'apples',
      'banana',
      'plan',
      'same1',
      'same2',
      'milk',
      'poker',
      'report',
      'offsite',
      'zebra',
    ];
    const cases: [string, Query, Name[]][] = [
      ['created_at (the default), newest first', [], [...NAMES].reverse()],
      [
        'created_at ascending',
        [
          ['sort', 'created_at'],
          ['order', 'asc'],
        ],
        NAMES,
      ],
      [
        'due ascending: undated last, by id',
        [
          ['sort', 'due'],
          ['order', 'asc'],
        ],
        ['milk', 'offsite', 'zebra', 'report', 'poker', ...undated],
      ],
      [
        'due descending: undated still last',
        [['sort', 'due']],
        ['poker', 'report', 'zebra', 'offsite', 'milk', ...[...undated].reverse()],
      ],
      [
        'priority ascending, ties by id',
        [
          ['sort', 'priority'],
          ['order', 'asc'],
        ],
        byPriority,
      ],
      [
        'priority descending, ties by id descending',
        [
          ['sort', 'priority'],
          ['order', 'desc'],
        ],
        [...byPriority].reverse(),
      ],
      [
        'title ascending, as people read (not by code point)',
        [
          ['sort', 'title'],
          ['order', 'asc'],
        ],
        byTitle,
      ],
      [
        'title descending',
        [
          ['sort', 'title'],
          ['order', 'desc'],
        ],
        [...byTitle].reverse(),
      ],
    ];
    for (const [name, query, expected] of cases) {
      it(name, async () => {
        expect(await names(query)).to.deep.equal(expected);
      });
    }

    it('updated_at, both ways, ties by id', async () => {
      const touched = (await alice.call<Task>('PATCH', `/tasks/${ids.apples}`, { json: { description: 'touched' } }))
        .body;
      const tasks = (await list(alice, [['limit', '100']])).body.items;
      const ascending = [...tasks]
        .sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id - b.id)
        .map((task) => nameOf(task.id));
      expect(ascending.at(-1)).to.equal(nameOf(touched.id));
      expect(
        await names([
          ['sort', 'updated_at'],
          ['order', 'asc'],
        ]),
      ).to.deep.equal(ascending);
      expect(await names([['sort', 'updated_at']])).to.deep.equal([...ascending].reverse());
    });

    it('relevance, the default with q: ranked, best first, ties by id', async () => {
      const ranked = await names([['q', 'plan']]);
      expect(ranked[0], 'the task that says "plan" most').to.equal('plan');
      expect([...ranked].sort()).to.deep.equal(['offsite', 'plan', 'poker', 'report']);
      expect(
        await names([
          ['q', 'plan'],
          ['sort', 'relevance'],
          ['order', 'desc'],
        ]),
      ).to.deep.equal(ranked);
      expect(
        await names([
          ['q', 'plan'],
          ['order', 'asc'],
        ]),
      ).to.deep.equal([...ranked].reverse());
    });

    it('takes instants and words as clients type them: `:` unencoded, `+` for a space', async () => {
      const typed = await alice.call<Page>(
        'GET',
        '/tasks?due_after=2099-03-01T00:00:00Z&q=planning+friday&sort=created_at',
      );
      expect(typed.status).to.equal(200);
      const encoded = await list(alice, [
        ['due_after', '2099-03-01T00:00:00Z'],
        ['q', 'planning friday'],
        ['sort', 'created_at'],
      ]);
      expect(typed.body.items.map((task) => task.id)).to.deep.equal(encoded.body.items.map((task) => task.id)).and.not
        .be.empty;
    });

    it('relevance without q is a 400 naming sort', async () => {
      expectBadQuery(await list(alice, [['sort', 'relevance']]), '/sort');
    });

    it('an instant outside years 1 to 9999 in UTC is a 400 naming it', async () => {
      expectBadQuery(await list(alice, [['due_before', '0000-01-01T00:00:00Z']]), '/due_before');
      expectBadQuery(await list(alice, [['due_after', '9999-12-31T23:59:59-23:59']]), '/due_after');
    });
  });

  describe('pages', () => {
    /** Tasks with repeated values in every sort key; a third undated, all matching q=alpha. */
    const seedTask = (i: number) => ({
      title: i % 3 === 0 ? 'alpha same' : `alpha ${String.fromCharCode(97 + ((i * 7) % 26))}`,
      description: i % 3 === 0 ? null : 'alpha '.repeat(i % 3),
      priority: PRIORITIES[i % 4],
      ...(i % 3 === 0 ? {} : { due_date: `2099-01-0${(i % 4) + 1}` }),
    });

    for (const sort of SORTS) {
      for (const order of ORDERS) {
        it(`sort=${sort}&order=${order}: no duplicates and no gaps while tasks are added and removed between pages`, async () => {
          const user = suite.newUser();
          const initial: number[] = [];
          for (let i = 0; i < 14; i += 1) initial.push((await user.createTask(seedTask(i))).id);
          const query: Query = [
            ['q', 'alpha'],
            ['sort', sort],
            ['order', order],
          ];
          const deleted = new Set<number>();
          let added = 100;
          const seen = await walk(user, [...query, ['limit', '3']], async (seenSoFar) => {
            // The last task shown (the cursor's row) and one not shown yet go; a new one comes.
            const unseen = initial.find((id) => !seenSoFar.includes(id) && !deleted.has(id));
            for (const id of [seenSoFar.at(-1)!, ...(unseen === undefined ? [] : [unseen])]) {
              expect((await user.call('DELETE', `/tasks/${id}`)).status).to.equal(204);
              deleted.add(id);
            }
            await user.createTask(seedTask((added += 5)));
          });
          expect(new Set(seen).size, `duplicates in ${seen.join(',')}`).to.equal(seen.length);
          const kept = initial.filter((id) => !deleted.has(id));
          expect(seen, 'every task there all along is listed').to.include.members(kept);
          const deletedUnseen = [...deleted].filter((id) => !seen.includes(id));
          expect(
            seen.filter((id) => deletedUnseen.includes(id)),
            'no task deleted before its page',
          ).to.be.empty;
          // The pages' order is the list's order: compared with the list in one page now.
          const whole = await walk(user, [...query, ['limit', '100']]);
          expect(seen.filter((id) => whole.includes(id))).to.deep.equal(whole.filter((id) => seen.includes(id)));
        });
      }
    }

    it('lets the page size change between pages', async () => {
      const first = await list(alice, [
        ['sort', 'title'],
        ['limit', '2'],
      ]);
      const rest = await list(alice, [
        ['sort', 'title'],
        ['limit', '100'],
        ['cursor', first.body.next_cursor!],
      ]);
      expect([...first.body.items, ...rest.body.items].map((task) => nameOf(task.id))).to.deep.equal(
        await names([['sort', 'title']]),
      );
    });

    it('pages through titles of 200 characters in any script', async () => {
      const user = suite.newUser();
      const titles = ['é', '中', '😀', '"'].map((character) => character.repeat(200));
      for (const title of titles) await user.createTask({ title });
      expect(
        await walk(user, [
          ['sort', 'title'],
          ['limit', '1'],
        ]),
      ).to.have.length(titles.length);
    });
  });

  describe('cursors', () => {
    const base: Query = [
      ['status', 'open'],
      ['priority', 'high'],
      ['priority', 'medium'],
      ['tag', 'work'],
      ['due_after', '2000-01-01T00:00:00Z'],
      ['due_before', '2100-01-01T00:00:00Z'],
      ['overdue', 'false'],
      ['q', 'plan'],
      ['sort', 'title'],
      ['order', 'asc'],
    ];
    const replaced = (name: string, value: string): Query => [...base.filter(([key]) => key !== name), [name, value]];
    let cursor: string;
    before(async () => {
      const first = await list(alice, [...base, ['limit', '1']]);
      expect(first.body.items.map((task) => nameOf(task.id))).to.deep.equal(['poker']);
      cursor = first.body.next_cursor!;
    });

    it('continues with the same filters, however they are spelled', async () => {
      const respelled: Query = [
        ...base.filter(([key]) => !['tag', 'priority', 'due_after'].includes(key)),
        ['tag', 'WORK'],
        ['priority', 'medium'],
        ['priority', 'high'],
        ['due_after', '2000-01-01T01:00:00+01:00'],
      ];
      for (const query of [base, respelled]) {
        const next = await list(alice, [...query, ['cursor', cursor]]);
        expect(next.status, JSON.stringify(next.body)).to.equal(200);
        expect(next.body.items.map((task) => nameOf(task.id))).to.deep.equal(['report']);
      }
    });

    const others: [string, Query][] = [
      ['status', replaced('status', 'all')],
      ['priority', replaced('priority', 'low')],
      ['tag', [...base, ['tag', 'urgent']]],
      ['due_after', replaced('due_after', '2000-01-02T00:00:00Z')],
      ['due_before', replaced('due_before', '2100-01-02T00:00:00Z')],
      ['overdue', replaced('overdue', 'true')],
      ['q', replaced('q', 'planning')],
      ['sort', replaced('sort', 'created_at')],
      ['order', replaced('order', 'desc')],
      ['no filters at all', []],
    ];
    for (const [name, query] of others) {
      it(`is a 400 naming cursor when reused with another ${name}`, async () => {
        expectBadQuery(await list(alice, [...query, ['cursor', cursor]]), '/cursor');
      });
    }

    it("gives another user nothing of the first user's tasks", async () => {
      const bob = suite.newUser();
      const own = await bob.createTask({
        title: 'Planning poker with bob',
        priority: 'high',
        tags: ['work'],
        due_date: '2099-01-01',
      });
      const response = await list(bob, [...base, ['cursor', cursor]]);
      expect(response.status).to.equal(200);
      expect(response.body.items.map((task) => task.id)).to.deep.equal([own.id]);
    });
  });

  describe(`relevance over its candidate set (the ${RELEVANCE_CANDIDATES} newest matches)`, () => {
    const MATCHES = RELEVANCE_CANDIDATES + 300;
    const words: Query = [['q', 'kumquat']];
    let carol: TestUser;

    /**
     * A user with MATCHES matching tasks, inserted in one statement: ranks from one to four
     * mentions (ties within each), created in an order unlike their ids; and 100 that do not match.
     */
    async function seeded(): Promise<TestUser> {
      const user = suite.newUser();
      await user.call('GET', '/api/me'); // provisions the user row
      await suite.database().knex.raw(
        `insert into tasks (user_id, title, description, created_at, updated_at)
         select ?, case when g <= ? then 'kumquat ' || g else 'banana ' || g end,
                case when g <= ? then repeat('kumquat ', g % 4) end, created, created
         from generate_series(1, ? + 100) g
         cross join lateral (select timestamptz '2026-01-01' + ((g * 7919) % 5003) * interval '1 second' as created) c`,
        [user.id, MATCHES, MATCHES, MATCHES],
      );
      return user;
    }

    /** The ids the search ranks now: the newest matches (created_at, id), best rank first, ties by id. */
    async function ranked(user: TestUser, order: 'asc' | 'desc' = 'desc'): Promise<number[]> {
      const knex = suite.database().knex;
      const query = knex.raw("websearch_to_tsquery('english', 'kumquat')");
      const candidates: { id: number; rank: number }[] = await knex('tasks')
        .where('user_id', user.id)
        .whereRaw('search @@ ?', [query])
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(RELEVANCE_CANDIDATES)
        .select('id', knex.raw('ts_rank(search, ?) as rank', [query]));
      const sign = order === 'desc' ? -1 : 1;
      return candidates
        .sort((a, b) => (a.rank === b.rank ? a.id - b.id : a.rank < b.rank ? -1 : 1) * sign)
        .map((row) => row.id);
    }

    before(async function () {
      this.timeout(60_000);
      carol = await seeded();
    });

    for (const order of ORDERS) {
      it(`order=${order}: pages through exactly the newest matches, ranked among themselves`, async () => {
        const seen = await walk(carol, [...words, ['order', order], ['limit', '100']]);
        expect(seen).to.have.length(RELEVANCE_CANDIDATES);
        expect(seen).to.deep.equal(await ranked(carol, order));
      });
    }

    it("keeps to the first page's candidates while tasks are added and removed between pages", async function () {
      this.timeout(60_000);
      const user = await seeded();
      const candidates = await ranked(user);
      const added: number[] = [];
      const deleted = new Set<number>();
      const deletedUnseen = new Set<number>();
      const seen = await walk(user, [...words, ['limit', '100']], async (seenSoFar) => {
        // Three of the best matches yet, newer than every candidate: on a first page they would
        // push out the two that go below, and one candidate more.
        for (let i = 0; i < 3; i += 1) added.push((await user.createTask({ title: 'kumquat '.repeat(5) })).id);
        // The cursor's row and the last candidate not shown yet go.
        const unseen = candidates.findLast((id) => !seenSoFar.includes(id) && !deleted.has(id))!;
        deletedUnseen.add(unseen);
        for (const id of [seenSoFar.at(-1)!, unseen]) {
          expect((await user.call('DELETE', `/tasks/${id}`)).status).to.equal(204);
          deleted.add(id);
        }
      });
      expect(new Set(seen).size, 'no duplicates').to.equal(seen.length);
      expect(
        seen.filter((id) => added.includes(id)),
        'no task added after the first page',
      ).to.be.empty;
      const kept = candidates.filter((id) => !deleted.has(id));
      expect(
        seen.filter((id) => kept.includes(id)),
        'every candidate there all along, in rank order',
      ).to.deep.equal(kept);
      expect(
        seen.filter((id) => deletedUnseen.has(id)),
        'no task deleted before its page',
      ).to.be.empty;
      // A new first page ranks the new tasks: the best of them first (ties by id, newest first).
      const fresh = await list(user, [...words, ['limit', '1']]);
      expect(fresh.body.items.map((task) => task.id)).to.deep.equal([Math.max(...added)]);
    });

    it('other sorts list every match', async () => {
      expect(await walk(carol, [...words, ['sort', 'created_at'], ['limit', '100']])).to.have.length(MATCHES);
    });

    it('a relevance cursor of the earlier format (without the candidates bound) is a 400 naming cursor', async () => {
      const first = await list(carol, [...words, ['limit', '1']]);
      const payload = JSON.parse(Buffer.from(first.body.next_cursor!, 'base64url').toString('utf8')) as {
        b?: number;
      };
      delete payload.b;
      const earlier = Buffer.from(JSON.stringify(payload)).toString('base64url');
      const response = await list(carol, [...words, ['cursor', earlier]]);
      expectBadQuery(response, '/cursor');
      expect(expectProblem(response, 400).errors![0]!.message).to.match(
        /earlier version.*start again without a cursor/,
      );
    });
  });
});
