import { expect } from 'chai';
import { describeEachDatabase } from '../helpers/api-suite.js';
import { loadContract, type Json } from '../helpers/contract.js';
import { operationSchemas } from '../helpers/schema-arbitraries.js';
import type { components } from '../../generated/api.js';
import {
  expectProblem,
  type ApiResponse,
  type Problem,
  type RequestOptions,
  type Task,
  TestUser,
} from '../helpers/api-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type TaskList = components['schemas']['TaskList'];

type Issue = Pick<NonNullable<Problem['errors']>[number], 'location' | 'pointer'>;

const inBody = (pointer: string): Issue => ({ location: 'body', pointer });
const inQuery = (pointer: string): Issue => ({ location: 'query', pointer });
const inPath = (pointer: string): Issue => ({ location: 'path', pointer });

const MAX_TASK_ID = 9007199254740991;

/** A schema's rule as the contract words it (`x-rule`). */
const ruleOf = (schema: string): string =>
  String((loadContract().components.schemas as Record<string, Json>)[schema]!['x-rule']);

/** Characters that show nothing: a title or tag of these alone is blank. */
const INVISIBLE = {
  'zero-width space': '\u200b',
  'zero-width non-joiner': '\u200c',
  'zero-width joiner': '\u200d',
  'left-to-right mark': '\u200e',
  'right-to-left mark': '\u200f',
  'right-to-left override': '\u202e',
  'first strong isolate': '\u2068',
  'word joiner': '\u2060',
  'soft hyphen': '\u00ad',
  'Mongolian vowel separator': '\u180e',
  'combining grapheme joiner': '\u034f',
  'variation selector 16': '\ufe0f',
  'Hangul filler': '\u3164',
  'Hangul choseong filler': '\u115f',
  'Hangul jungseong filler': '\u1160',
  'halfwidth Hangul filler': '\uffa0',
  'Braille pattern blank': '\u2800',
  'tag space': '\u{e0020}',
  'no-break space': '\u00a0',
  'ideographic space': '\u3000',
  'a control character': '\u0001',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A 400 whose `errors` name exactly these places (several entries may name the same one). */
function expectBadRequest(response: ApiResponse, ...expected: Issue[]): Problem {
  const problem = expectProblem(response, 400);
  expect(problem.errors, 'errors').to.be.an('array').that.is.not.empty;
  const named = new Map(
    problem.errors!.map(({ location, pointer }) => [`${location} ${pointer}`, { location, pointer }]),
  );
  expect([...named.values()], JSON.stringify(problem.errors)).to.have.deep.members(expected);
  return problem;
}

/** All of the user's tasks (the tests never create more than a page). */
async function tasksOf(user: TestUser): Promise<Task[]> {
  const response = await user.call<{ items: Task[] }>('GET', '/tasks?limit=100');
  expect(response.status).to.equal(200);
  return response.body.items;
}

async function expectNoTasks(user: TestUser): Promise<void> {
  expect(await tasksOf(user), 'the rejected write left a task behind').to.deep.equal([]);
}

describeEachDatabase('request validation and request errors', (suite) => {
  describe('createTask body', () => {
    const invalid: { name: string; send: RequestOptions; issues: Issue[] }[] = [
      { name: 'an empty title', send: { json: { title: '' } }, issues: [inBody('/title')] },
      { name: 'a blank title', send: { json: { title: '   ' } }, issues: [inBody('/title')] },
      { name: 'a title of 201 characters', send: { json: { title: 'x'.repeat(201) } }, issues: [inBody('/title')] },
      { name: 'a title containing NUL', send: { json: { title: 'Buy\u0000milk' } }, issues: [inBody('/title')] },
      {
        name: 'a description of 5001 characters',
        send: { json: { title: 'ok', description: 'd'.repeat(5001) } },
        issues: [inBody('/description')],
      },
      {
        name: 'a description containing NUL',
        send: { json: { title: 'ok', description: 'a\u0000b' } },
        issues: [inBody('/description')],
      },
      {
        name: 'a title with an unpaired surrogate',
        send: { rawBody: '{"title":"Buy \\ud800 milk"}' },
        issues: [inBody('/title')],
      },
      {
        name: 'a description with an unpaired surrogate',
        send: { rawBody: '{"title":"ok","description":"\\udc00"}' },
        issues: [inBody('/description')],
      },
      // The embedded database drops a leading byte order mark when reading text back.
      {
        name: 'a title starting with a byte order mark',
        send: { json: { title: '\ufeffBuy milk' } },
        issues: [inBody('/title')],
      },
      {
        name: 'a description with a byte order mark',
        send: { json: { title: 'ok', description: 'a\ufeffb' } },
        issues: [inBody('/description')],
      },
      // Pointers are RFC 6901: `/` and `~` in a property name are escaped; `""` is `/`.
      { name: 'a property named "a/b"', send: { json: { title: 'ok', 'a/b': 1 } }, issues: [inBody('/a~1b')] },
      { name: 'a property named "a~b"', send: { json: { title: 'ok', 'a~b': 1 } }, issues: [inBody('/a~0b')] },
      { name: 'a property with an empty name', send: { json: { title: 'ok', '': 1 } }, issues: [inBody('/')] },
      { name: 'an unknown property', send: { json: { title: 'ok', colour: 'red' } }, issues: [inBody('/colour')] },
      { name: 'a server-owned id', send: { json: { title: 'ok', id: 7 } }, issues: [inBody('/id')] },
      {
        name: 'a server-owned user_id',
        send: { json: { title: 'ok', user_id: 'mallory' } },
        issues: [inBody('/user_id')],
      },
      {
        name: 'a server-owned created_at',
        send: { json: { title: 'ok', created_at: '2026-01-01T00:00:00.000Z' } },
        issues: [inBody('/created_at')],
      },
      { name: 'a numeric title', send: { json: { title: 123 } }, issues: [inBody('/title')] },
      { name: 'a string completed', send: { json: { title: 'ok', completed: 'yes' } }, issues: [inBody('/completed')] },
      {
        name: 'a numeric description',
        send: { json: { title: 'ok', description: 5 } },
        issues: [inBody('/description')],
      },
      { name: 'no title', send: { json: { description: 'no title' } }, issues: [inBody('/title')] },
      { name: 'a JSON array', send: { rawBody: '[{"title":"ok"}]' }, issues: [inBody('')] },
      { name: 'JSON null', send: { rawBody: 'null' }, issues: [inBody('')] },
      { name: 'a JSON string', send: { rawBody: '"Buy milk"' }, issues: [inBody('')] },
      { name: 'malformed JSON', send: { rawBody: '{"title":' }, issues: [inBody('')] },
      {
        name: 'several problems at once, listing each',
        send: { json: { title: '', completed: 'yes', description: 5, extra: true } },
        issues: [inBody('/title'), inBody('/completed'), inBody('/description'), inBody('/extra')],
      },
    ];
    for (const { name, send, issues } of invalid) {
      it(`rejects ${name} with 400 and creates nothing`, async () => {
        const alice = suite.newUser();
        expectBadRequest(await alice.call('POST', '/tasks', send), ...issues);
        await expectNoTasks(alice);
      });
    }

    const boundaries: { name: string; fields: Record<string, string> }[] = [
      { name: 'a title of exactly 200 characters', fields: { title: 't'.repeat(200) } },
      { name: 'a description of exactly 5000 characters', fields: { title: 'ok', description: 'd'.repeat(5000) } },
    ];
    for (const { name, fields } of boundaries) {
      it(`accepts ${name}`, async () => {
        const response = await suite.newUser().call<Task>('POST', '/tasks', { json: fields });
        expect(response.status).to.equal(201);
        expect(response.body).to.include(fields);
      });
    }
  });

  describe('replaceTask and updateTask bodies', () => {
    const invalid: { name: string; method: 'PUT' | 'PATCH'; json: unknown; issues: Issue[] }[] = [
      {
        name: 'a PUT without description',
        method: 'PUT',
        json: { title: 'new', completed: true },
        issues: [inBody('/description')],
      },
      {
        name: 'a PUT without completed',
        method: 'PUT',
        json: { title: 'new', description: null },
        issues: [inBody('/completed')],
      },
      { name: 'a PATCH with a null title', method: 'PATCH', json: { title: null }, issues: [inBody('/title')] },
      {
        name: 'a PATCH with an unknown property',
        method: 'PATCH',
        json: { colour: 'red' },
        issues: [inBody('/colour')],
      },
      {
        name: 'a PATCH with a server-owned completed_at',
        method: 'PATCH',
        json: { completed_at: null },
        issues: [inBody('/completed_at')],
      },
    ];
    for (const { name, method, json, issues } of invalid) {
      it(`rejects ${name} with 400 and leaves the task as it was`, async () => {
        const alice = suite.newUser();
        const task = await alice.createTask({ title: 'old', description: 'keep' });
        expectBadRequest(await alice.call(method, `/tasks/${task.id}`, { json }), ...issues);
        expect((await alice.call<Task>('GET', `/tasks/${task.id}`)).body).to.deep.equal(task);
      });
    }
  });

  describe('task id in the path', () => {
    // Only decimal digits name a task: no other spelling of a number reaches the same task (or the database).
    const invalidIds = [
      'abc',
      '1.5',
      '0',
      '-1',
      String(MAX_TASK_ID + 1),
      '99999999999999999999999',
      'Infinity',
      '1e400',
      '0x10',
      '1e3',
      '%205',
      '+5',
      '05',
      '1.0',
      '%31',
    ];
    for (const id of invalidIds) {
      it(`rejects task id ${id} with 400`, async () => {
        expectBadRequest(await suite.newUser().call('GET', `/tasks/${id}`), inPath('/task_id'));
      });
    }

    it(`accepts the largest task id, ${MAX_TASK_ID}, as a well-formed id (404, not 400)`, async () => {
      expectProblem(await suite.newUser().call('GET', `/tasks/${MAX_TASK_ID}`), 404);
    });
  });

  describe('listTasks query', () => {
    const invalid: { query: string; issues: Issue[] }[] = [
      { query: 'limit=0', issues: [inQuery('/limit')] },
      { query: 'limit=101', issues: [inQuery('/limit')] },
      { query: 'limit=abc', issues: [inQuery('/limit')] },
      { query: 'limit=1.5', issues: [inQuery('/limit')] },
      { query: 'limit=Infinity', issues: [inQuery('/limit')] },
      { query: 'limit=-Infinity', issues: [inQuery('/limit')] },
      { query: 'limit=1e1', issues: [inQuery('/limit')] },
      { query: 'limit=0x10', issues: [inQuery('/limit')] },
      { query: 'limit=%201', issues: [inQuery('/limit')] },
      { query: 'limit=%31%30', issues: [inQuery('/limit')] },
      { query: '[=1', issues: [inQuery('/[')] },
      { query: 'a[b]=1', issues: [inQuery('/a[b]')] },
      { query: 'limit[=5', issues: [inQuery('/limit[')] },
      { query: '%2F=1', issues: [inQuery('/~1')] },
      { query: 'status=bogus', issues: [inQuery('/status')] },
      { query: 'sortby=title', issues: [inQuery('/sortby')] },
      { query: 'cursor=', issues: [inQuery('/cursor')] },
      { query: `cursor=${'c'.repeat(513)}`, issues: [inQuery('/cursor')] },
      { query: 'cursor=!!not-a-cursor!!', issues: [inQuery('/cursor')] },
      { query: `cursor=${Buffer.from('not json at all').toString('base64url')}`, issues: [inQuery('/cursor')] },
      {
        query: `cursor=${Buffer.from('{"v":1,"c":"yesterday","i":1,"s":"all"}').toString('base64url')}`,
        issues: [inQuery('/cursor')],
      },
      // Valid JavaScript dates that PostgreSQL cannot hold must not reach the database.
      {
        query: `cursor=${Buffer.from('{"v":1,"c":"0000-01-01T00:00:00.000Z","i":1,"s":"all"}').toString('base64url')}`,
        issues: [inQuery('/cursor')],
      },
      {
        query: `cursor=${Buffer.from('{"v":1,"c":"+275760-09-13T00:00:00.000Z","i":1,"s":"all"}').toString('base64url')}`,
        issues: [inQuery('/cursor')],
      },
    ];
    for (const { query, issues } of invalid) {
      it(`rejects ?${query.length > 60 ? `${query.slice(0, 40)}…` : query} with 400`, async () => {
        expectBadRequest(await suite.newUser().call('GET', `/tasks?${query}`), ...issues);
      });
    }

    for (const limit of [1, 100]) {
      it(`accepts limit=${limit}`, async () => {
        expect((await suite.newUser().call('GET', `/tasks?limit=${limit}`)).status).to.equal(200);
      });
    }

    it('rejects a real cursor reused with another status filter, and accepts it with its own', async () => {
      const alice = suite.newUser();
      for (const title of ['one', 'two', 'three']) await alice.createTask({ title });
      const first = await alice.call<TaskList>('GET', '/tasks?status=all&limit=1');
      expect(first.status).to.equal(200);
      const cursor = first.body.next_cursor as string;
      expect(cursor).to.be.a('string');
      const query = `limit=1&cursor=${encodeURIComponent(cursor)}`;
      expectBadRequest(await alice.call('GET', `/tasks?status=open&${query}`), inQuery('/cursor'));
      expect((await alice.call('GET', `/tasks?status=all&${query}`)).status).to.equal(200);
    });
  });

  describe('messages for people', () => {
    it('answers an empty title with one issue that says it must not be blank', async () => {
      const problem = expectBadRequest(
        await suite.newUser().call('POST', '/tasks', { json: { title: '' } }),
        inBody('/title'),
      );
      expect(problem.errors).to.deep.equal([{ location: 'body', pointer: '/title', message: ruleOf('Title') }]);
      expect(problem.errors![0]!.message).to.match(/^must not be blank/);
    });

    const patterned: { name: string; send: RequestOptions; path?: string; issue: Issue }[] = [
      { name: 'a title with NUL', send: { json: { title: 'a\u0000b' } }, issue: inBody('/title') },
      { name: 'a blank tag', send: { json: { title: 'ok', tags: [' '] } }, issue: inBody('/tags/0') },
      {
        name: 'a description with NUL',
        send: { json: { title: 'ok', description: '\u0000' } },
        issue: inBody('/description'),
      },
      {
        name: 'a malformed time zone',
        send: { json: { title: 'ok', due_date: '2026-01-01', time_zone: '../etc' } },
        issue: inBody('/time_zone'),
      },
      {
        name: 'a malformed Idempotency-Key',
        send: { json: { title: 'ok' }, headers: { 'idempotency-key': 'a b' } },
        issue: { location: 'header', pointer: '/idempotency-key' },
      },
      { name: 'a malformed cursor', path: '/tasks?cursor=a.b', send: {}, issue: inQuery('/cursor') },
      {
        name: 'a malformed Last-Event-ID',
        path: '/events',
        send: { headers: { 'last-event-id': '12a' } },
        issue: { location: 'header', pointer: '/last-event-id' },
      },
    ];
    for (const { name, send, path, issue } of patterned) {
      it(`says the rule in words, not as a regular expression, for ${name}`, async () => {
        const response = await suite.newUser().call(path ? 'GET' : 'POST', path ?? '/tasks', send);
        const problem = expectBadRequest(response, issue);
        expect(problem.errors).to.have.length(1);
        const { message } = problem.errors![0]!;
        expect(message).to.match(/^must /);
        expect(message).not.to.match(/pattern|\\|\[\^|\(\?/);
      });
    }
  });

  describe('webhook bodies', () => {
    it('says what a webhook URL must be in words, from the schema or from the server, at /url', async () => {
      const alice = suite.newUser();
      const send = (url: string) => alice.call('POST', '/webhooks', { json: { url, event_types: ['task.created'] } });
      for (const [url, message] of [
        ['ftp://hooks.example.com/in', ruleOf('WebhookUrl')],
        ['https://10.0.0.1/in', 'must not name a loopback, private or otherwise non-public address'],
      ] as const) {
        const problem = expectBadRequest(await send(url), inBody('/url'));
        expect(problem.errors!.map((issue) => issue.message)).to.deep.equal([message]);
      }
      expect((await alice.call<{ items: unknown[] }>('GET', '/webhooks')).body.items).to.deep.equal([]);
    });

    it('names every problem of a webhook at once: each wrong event type, the description, an unknown member', async () => {
      const response = await suite.newUser().call('POST', '/webhooks', {
        json: {
          url: 'https://hooks.example.com/in',
          event_types: ['task.created', 'task.exploded', 'nope'],
          description: 'a\u0000b',
          active: true,
        },
      });
      expectBadRequest(
        response,
        inBody('/event_types/1'),
        inBody('/event_types/2'),
        inBody('/description'),
        inBody('/active'),
      );
    });
  });

  describe('titles and tags of invisible characters alone are blank', () => {
    for (const [name, character] of Object.entries(INVISIBLE)) {
      it(`refuses a title and a tag of only ${name}, and keeps one as part of a title`, async () => {
        const alice = suite.newUser();
        for (const title of [character, `${character} ${character}${character}`]) {
          expectBadRequest(await alice.call('POST', '/tasks', { json: { title } }), inBody('/title'));
          expectBadRequest(
            await alice.call('POST', '/tasks', { json: { title: 'ok', tags: ['work', title] } }),
            inBody('/tags/1'),
          );
        }
        await expectNoTasks(alice);
        if (character < ' ') return; // a control character is allowed inside a title, not in a tag
        const task = await alice.createTask({ title: `Buy${character}milk`, tags: [`a${character}b`] });
        expect([task.title, task.tags]).to.deep.equal([`Buy${character}milk`, [`a${character}b`.normalize('NFC')]]);
      });
    }

    it('refuses a replaced or patched title of invisible characters alone, changing nothing', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask({ title: 'old' });
      const json = { title: '\u200b\u2060\u3164' };
      expectBadRequest(await alice.call('PATCH', `/tasks/${task.id}`, { json }), inBody('/title'));
      const replacement = { ...json, description: null, completed: false };
      expectBadRequest(await alice.call('PUT', `/tasks/${task.id}`, { json: replacement }), inBody('/title'));
      expect((await alice.call<Task>('GET', `/tasks/${task.id}`)).body).to.deep.equal(task);
    });
    it('refuses a title of invisible characters alone in a bulk action, running none of them', async () => {
      const alice = suite.newUser();
      const actions = [
        { op: 'create', task: { title: 'fine' } },
        { op: 'create', task: { title: '\u200b\u2800' } },
      ];
      const response = await alice.call('POST', '/tasks/bulk', { json: { actions } });
      expectBadRequest(response, inBody('/actions/1/task/title'));
      await expectNoTasks(alice);
    });
  });

  describe('several values in the query', () => {
    /** Two valid values of each query parameter, for its repeated and comma-joined forms. */
    const VALUES: Record<string, [string, string]> = {
      status: ['open', 'completed'],
      priority: ['high', 'low'],
      tag: ['home', 'work'],
      due_after: ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
      due_before: ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
      overdue: ['true', 'false'],
      q: ['milk', 'bread'],
      sort: ['title', 'due'],
      order: ['asc', 'desc'],
      limit: ['1', '2'],
      cursor: ['abc', 'def'],
      list_id: ['1', '2'],
      parent_id: ['1', '2'],
    };
    const ONCE = 'must be given only once: this parameter takes one value';
    /** What each comma-joined form answers: a 400 whose message starts so, or a 200 (the comma is part of the value). */
    const JOINED: Record<string, string | 200> = {
      status: 'takes one value, not a list: must be equal to one of the allowed values: open, completed, all',
      priority: 'several values are sent by repeating the parameter (priority=high&priority=low), not as a list',
      tag: 200, // a comma is part of a tag (see below)
      due_after: 'takes one value, not a list: ',
      due_before: 'takes one value, not a list: ',
      overdue: 'takes one value, not a list: must be boolean',
      q: 200, // commas between words
      sort: 'takes one value, not a list: must be equal to one of the allowed values: ',
      order: 'takes one value, not a list: must be equal to one of the allowed values: desc, asc',
      limit: 'takes one value, not a list: must be an integer in decimal digits',
      list_id: 'takes one value, not a list: must be an integer in decimal digits',
      parent_id: 'takes one value, not a list: must be an integer in decimal digits',
      cursor: String(
        (loadContract().components.parameters as Record<string, { schema: Json }>).Cursor!.schema['x-rule'],
      ),
    };
    // Sent to listTasks, the operation with the most of them (the others' are checked by the
    // property sweep, test/conformance/properties.test.ts).
    const parameters = operationSchemas('listTasks').parameters.filter((parameter) => parameter.in === 'query');

    it('covers every query parameter of listTasks', () => {
      const names = parameters.map((parameter) => parameter.name);
      expect(Object.keys(VALUES)).to.have.members(names);
      expect(Object.keys(JOINED)).to.have.members(names);
    });

    for (const parameter of parameters) {
      const { name } = parameter;
      const [first, second] = VALUES[name]!;
      const several = parameter.schema.type === 'array';
      it(`${name}: ${several ? 'takes' : 'refuses'} the parameter repeated`, async () => {
        const response = await suite.newUser().call('GET', `/tasks?${name}=${first}&${name}=${second}`);
        if (several) return void expect(response.status, JSON.stringify(response.body)).to.equal(200);
        const problem = expectBadRequest(response, inQuery(`/${name}`));
        expect(problem.errors).to.deep.equal([{ location: 'query', pointer: `/${name}`, message: ONCE }]);
      });

      for (const comma of [',', '%2C']) {
        it(`${name}: answers values joined by ${comma} ${JOINED[name] === 200 ? 'as one value' : 'saying how to send them'}`, async () => {
          const response = await suite.newUser().call('GET', `/tasks?${name}=${first}${comma}${second}`);
          const expected = JOINED[name]!;
          if (expected === 200) return void expect(response.status, JSON.stringify(response.body)).to.equal(200);
          const problem = expectBadRequest(response, inQuery(several ? `/${name}/0` : `/${name}`));
          expect(problem.errors).to.have.length(1);
          expect(problem.errors![0]!.message.startsWith(expected), problem.errors![0]!.message).to.equal(true);
        });
      }
    }

    it('reads tag=a,b as the one tag "a,b", and tag=a&tag=b as both tags', async () => {
      const alice = suite.newUser();
      const joined = await alice.createTask({ title: 'joined', tags: ['home,work'] });
      const both = await alice.createTask({ title: 'both', tags: ['home', 'work'] });
      const ids = async (query: string) =>
        (await alice.call<TaskList>('GET', `/tasks?${query}`)).body.items.map((task) => task.id);
      expect(await ids('tag=home,work')).to.deep.equal([joined.id]);
      expect(await ids('tag=home&tag=work')).to.deep.equal([both.id]);
    });

    it('lists each problem of a query once, at its parameter', async () => {
      const response = await suite.newUser().call('GET', '/tasks?status=open,all&limit=1&limit=2&order=up');
      expectBadRequest(response, inQuery('/status'), inQuery('/limit'), inQuery('/order'));
      expect(expectProblem(response, 400).errors).to.have.length(3);
    });
  });

  describe('a JSON body that is not UTF-8', () => {
    /** Each ill-formed byte sequence inside a JSON string, and the offset where it starts in the body. */
    const sequences: { name: string; bytes: number[] }[] = [
      { name: 'a lone continuation byte', bytes: [0x80] },
      { name: 'an overlong encoding of "/"', bytes: [0xc0, 0xaf] },
      { name: 'an overlong three-byte encoding', bytes: [0xe0, 0x80, 0xaf] },
      { name: 'an encoded surrogate', bytes: [0xed, 0xa0, 0x80] },
      { name: 'a sequence cut short', bytes: [0xe2, 0x82] },
    ];
    /** A JSON text whose `marker` string holds the bytes instead. */
    const withBytes = (json: unknown, bytes: number[]) => {
      const [before, after] = JSON.stringify(json).split('MARK') as [string, string];
      const body = Buffer.concat([Buffer.from(`${before}a€`), Buffer.from(bytes), Buffer.from(`b${after}`)]);
      return { body, offset: Buffer.byteLength(`${before}a€`) };
    };
    const writes: {
      name: string;
      method: 'POST' | 'PATCH';
      path: (user: TestUser) => Promise<string>;
      json: unknown;
      contentType: string;
    }[] = [
      {
        name: 'createTask',
        method: 'POST',
        path: async () => '/tasks',
        json: { title: 'MARK' },
        contentType: 'application/json',
      },
      {
        name: 'createTask (in a member name)',
        method: 'POST',
        path: async () => '/tasks',
        json: { title: 'ok', MARK: 1 },
        contentType: 'application/json',
      },
      {
        name: 'updateTask',
        method: 'PATCH',
        path: async (user) => `/tasks/${(await user.createTask({ title: 'untouched' })).id}`,
        json: { description: 'MARK' },
        contentType: 'application/merge-patch+json',
      },
      {
        name: 'bulk',
        method: 'POST',
        path: async () => '/tasks/bulk',
        json: {
          actions: [
            { op: 'create', task: { title: 'fine' } },
            { op: 'create', task: { title: 'MARK' } },
          ],
        },
        contentType: 'application/json',
      },
    ];
    for (const write of writes) {
      for (const { name, bytes } of sequences) {
        it(`answers 400 for ${name} on ${write.name}, storing nothing`, async () => {
          const alice = suite.newUser();
          const target = await write.path(alice);
          const before = await tasksOf(alice);
          const { body, offset } = withBytes(write.json, bytes);
          const response = await alice.call(write.method, target, { rawBody: body, contentType: write.contentType });
          const problem = expectBadRequest(response, inBody(''));
          expect(problem.errors).to.deep.equal([{ location: 'body', pointer: '', message: 'must be UTF-8' }]);
          expect(problem.detail).to.equal(`The request body is not valid UTF-8 (from byte ${offset}).`);
          expect(await tasksOf(alice)).to.deep.equal(before);
        });
      }
    }

    it('refuses it as well with an explicit charset=UTF-8', async () => {
      const alice = suite.newUser();
      const { body } = withBytes({ title: 'MARK' }, [0x80]);
      const response = await alice.call('POST', '/tasks', {
        rawBody: body,
        contentType: 'application/json; charset=UTF-8',
      });
      expectBadRequest(response, inBody(''));
      await expectNoTasks(alice);
    });

    it('takes the same text well-formed, U+FFFD included', async () => {
      const { body } = withBytes({ title: 'MARK' }, [...Buffer.from('\ufffd')]);
      const response = await suite.newUser().call<Task>('POST', '/tasks', { rawBody: body });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      expect(response.body.title).to.equal('a€\ufffdb');
    });
  });

  describe('routing', () => {
    it('answers 400 naming the path for a malformed percent-encoding', async () => {
      expectBadRequest(await suite.newUser().call('GET', '/api/%/tasks'), inPath(''));
    });

    for (const path of ['/nope', '/api/x/unknown', '/tasks/1/nope']) {
      it(`answers 404 for the unknown route ${path}`, async () => {
        expectProblem(await suite.newUser().call('GET', path), 404);
      });
    }

    const notAllowed: { method: string; path: string; allowed: string[] }[] = [
      { method: 'POST', path: '/health', allowed: ['GET'] },
      { method: 'DELETE', path: '/tasks', allowed: ['GET', 'POST'] },
      { method: 'POST', path: '/tasks/1', allowed: ['GET', 'PUT', 'PATCH', 'DELETE'] },
    ];
    for (const { method, path, allowed } of notAllowed) {
      it(`answers 405 with an Allow header for ${method} ${path}`, async () => {
        const response = await suite.newUser().call(method, path);
        expectProblem(response, 405);
        const allow = (response.headers.get('allow') ?? '').split(',').map((name) => name.trim().toUpperCase());
        expect(allow).to.have.members(allowed);
      });
    }
  });

  describe('problem documents stay within the spec limits whatever the request echoes', () => {
    it('cuts a long unknown path to 2048 characters in `instance`', async () => {
      const path = `/${'a'.repeat(5000)}`;
      const response = await suite.newUser().call<Problem>('GET', path);
      expectProblem(response, 404);
      expect(response.body.instance).to.equal(path.slice(0, 2048));
    });

    it('lists the first 100 of 150 problems and says so', async () => {
      const extras = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`extra${i}`, i]));
      const response = await suite.newUser().call<Problem>('POST', '/tasks', { json: { title: 'ok', ...extras } });
      expectProblem(response, 400);
      expect(response.body.errors).to.have.length(100);
      expect(response.body.detail).to.equal('The request is not valid. Only the first 100 of 150 problems are listed.');
    });
  });

  describe('request bodies the server will not read', () => {
    /** The writes under test; each returns the path to write to, creating what it needs. */
    const writes: { method: 'POST' | 'PATCH'; path: (user: TestUser) => Promise<string> }[] = [
      { method: 'POST', path: async () => '/tasks' },
      { method: 'PATCH', path: async (user) => `/tasks/${(await user.createTask({ title: 'untouched' })).id}` },
    ];
    const refusals: { name: string; status: number; send: RequestOptions }[] = [
      { name: 'a text/plain body', status: 415, send: { rawBody: '{"title":"plain"}', contentType: 'text/plain' } },
      {
        name: 'a body over 100 kB',
        status: 413,
        send: { json: { title: 'big', description: 'x'.repeat(150 * 1024) } },
      },
      {
        name: 'a gzip body that does not decompress',
        status: 400,
        send: { rawBody: 'not gzip', headers: { 'content-encoding': 'gzip' } },
      },
      {
        name: 'an unknown Content-Encoding',
        status: 415,
        send: { rawBody: '{"title":"x"}', headers: { 'content-encoding': 'bogus' } },
      },
    ];
    for (const { method, path } of writes) {
      for (const { name, status, send } of refusals) {
        it(`answers ${status} for ${name} on ${method}, changing nothing`, async () => {
          const alice = suite.newUser();
          const target = await path(alice);
          const before = await tasksOf(alice);
          expectProblem(await alice.call(method, target, send), status);
          expect(await tasksOf(alice)).to.deep.equal(before);
        });
      }
    }
  });

  describe('X-Request-Id', () => {
    it('makes its own id whatever a client sends, without TRUST_PROXY: a client cannot choose the id it is logged under', async () => {
      const response = await suite.newUser().call('GET', '/tasks/abc', { headers: { 'x-request-id': 'abc-123' } });
      const generated = response.headers.get('x-request-id');
      expect(generated).to.match(UUID);
      expect(expectProblem(response, 400).request_id).to.equal(generated);
    });

    describe('from a trusted proxy (TRUST_PROXY=loopback)', () => {
      let behindProxy: TestServer | undefined;
      before(async () => {
        behindProxy = await startTestServer(suite.database().knex, { http: { trustProxy: 'loopback' } });
      });
      after(async () => behindProxy?.close());
      const viaProxy = () => new TestUser(behindProxy!.baseUrl);

      const safe = ['abc-123', 'A.z_0:9-', 'r'.repeat(128)];
      for (const id of safe) {
        it(`keeps the safe id ${id.length > 20 ? `of ${id.length} characters` : id} in the header and the error body`, async () => {
          const response = await viaProxy().call('GET', '/tasks/abc', { headers: { 'x-request-id': id } });
          expect(response.headers.get('x-request-id')).to.equal(id);
          expect(expectProblem(response, 400).request_id).to.equal(id);
        });
      }

      const unsafe = ['abc 123', 'r'.repeat(129), 'a/b', 'x;y=z', ''];
      for (const id of unsafe) {
        it(`replaces the unsafe id ${JSON.stringify(id.length > 20 ? `${id.slice(0, 10)}…` : id)} with a generated one`, async () => {
          const response = await viaProxy().call('GET', '/tasks/abc', { headers: { 'x-request-id': id } });
          const generated = response.headers.get('x-request-id');
          expect(generated).to.match(UUID);
          expect(expectProblem(response, 400).request_id).to.equal(generated);
        });
      }
    });

    it('sends a distinct id on every response, success or error', async () => {
      const alice = suite.newUser();
      const task = await alice.createTask();
      const responses = [
        await alice.call('GET', '/health'),
        await alice.call('GET', '/tasks'),
        await alice.call('POST', '/tasks', { json: { title: 'another' } }),
        await alice.call('DELETE', `/tasks/${task.id}`),
        await alice.call('GET', `/tasks/${task.id}`),
        await alice.call('POST', '/tasks', { json: {} }),
        await alice.call('POST', '/health'),
        await alice.call('GET', '/nope'),
      ];
      expect(responses.map((response) => response.status)).to.deep.equal([200, 200, 201, 204, 404, 400, 405, 404]);
      const ids = responses.map((response) => response.headers.get('x-request-id'));
      for (const id of ids) expect(id).to.match(UUID);
      expect(new Set(ids).size).to.equal(ids.length);
    });
  });
});
