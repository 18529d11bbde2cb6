import { randomUUID } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import fc, { type Arbitrary, type IAsyncProperty } from 'fast-check';
import { DateTime } from 'luxon';
import { loadContract, pointerTo } from '../helpers/contract.js';
import type { ApiResponse, Problem, Task, TestUser } from '../helpers/api-client.js';
import { describeEachDatabase, type ApiSuite } from '../helpers/api-suite.js';
import {
  breaksRule,
  brokenRules,
  enumValues,
  exampleValue,
  instantOf,
  invalidSchedule,
  invalidTags,
  invalidValue,
  isStorableInstant,
  normalizedTags,
  operationSchemas,
  parameterSchema,
  parametersSchema,
  propertyNames,
  propertySchema,
  RECURRENCE_SCHEMA,
  reminderInstant,
  SCHEDULE_FIELDS,
  SCHEDULE_RULES,
  unstorableDateTime,
  validSchedule,
  validTags,
  validValue,
  withDefaults,
  withoutProperties,
  type Breakage,
  type Encoding,
  type Invalid,
  type OperationSchemas,
  type RecurrenceInput,
  type ReminderInput,
  type Schedule,
  type ScheduleField,
  type Schema,
} from '../helpers/schema-arbitraries.js';
import { streamAnswer } from '../helpers/event-stream.js';
import { specOperations } from '../helpers/spec-conformance.js';

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv, options: { mode: 'full' | 'fast' }) => Ajv;

// Property-based tests: requests generated from the spec's own schemas. Valid ones must be
// accepted and reflected; each invalid one must be a 400 naming exactly the place it breaks, and
// leave the database as it was; nothing may ever be a 5xx (every response also passes the
// contract check in `request()`). Rules the schemas cannot express (the due fields, recurrence
// and tags together) are kept by the valid values and broken one at a time by the invalid ones.
// A failure prints fast-check's seed and path: rerun with them.

const RUNS = 200;
/** A property still running past this fails (it never passes on fewer runs), so a slow machine cannot stall the suite. */
const TIME_LIMIT_MS = 30_000;

async function check<T>(property: IAsyncProperty<T>): Promise<void> {
  await fc.assert(property, { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: true });
}

const BODY_WRITES = ['createTask', 'replaceTask', 'updateTask', 'completeTask'].map(operationSchemas);
const list = operationSchemas('listTasks');
/**
 * The model below is one flat list of the user's tasks: the queries that name a list or a parent
 * (and manual order, which needs one) are test/api/subtasks.test.ts's and task-moves.test.ts's.
 */
const PLACE_FIELDS = ['list_id', 'parent_id'];
/** Every operation that takes a task id, by operationId. */
const byTaskId = new Map(
  specOperations()
    .map(({ operationId }) => operationSchemas(operationId))
    .filter((operation) => operation.parameters.some((parameter) => parameter.name === 'task_id'))
    .map((operation) => [operation.operationId, operation]),
);
/** Every operation on one list (its id in the path), by operationId. */
const byListId = new Set(
  specOperations()
    .map(({ operationId }) => operationSchemas(operationId))
    .filter((operation) => operation.parameters.some((parameter) => parameter.name === 'list_id'))
    .map((operation) => operation.operationId),
);
/** Every operation on one webhook (its id in the path), by operationId. */
const byWebhookId = new Set(
  specOperations()
    .map(({ operationId }) => operationSchemas(operationId))
    .filter((operation) => operation.parameters.some((parameter) => parameter.name === 'webhook_id'))
    .map((operation) => operation.operationId),
);
/** Webhooks made beforehand for the cases on one: fewer than the `webhooks` quota (10) allows a user. */
const WEBHOOK_SUBJECTS = 9;
/** Writes after which a field absent from the body has its default (the others keep what the task had). */
const FULL_WRITES = new Set(['createTask', 'replaceTask']);

type Body = Record<string, unknown>;
type Page = { items: Task[]; next_cursor: string | null };
/** A query as it travels: text, an array being the parameter repeated. */
type Query = Record<string, string | string[]>;

/**
 * The operation's path for the user, on the task (or, for an operation on a list or a webhook, the
 * list or the webhook) with this id; a delivery's id is the same number (a delivery the webhook
 * may not have).
 */
function pathOf(operation: OperationSchemas, user: TestUser, id?: number | string): string {
  return operation.path
    .replace('{user_id}', encodeURIComponent(user.id))
    .replace(/\{(task|list|webhook|delivery)_id\}/g, encodeURIComponent(String(id)));
}

/** What a case on one task, or on one list, works on. */
type Subject = Pick<Task, 'id'>;

/** A list of the user's own, with a name of its own. */
async function createList(user: TestUser): Promise<Subject> {
  const response = await user.call<Subject>('POST', `/api/${encodeURIComponent(user.id)}/lists`, {
    json: { name: `List ${randomUUID()}` },
  });
  expect(response.status, JSON.stringify(response.body)).to.equal(201);
  return response.body;
}

/** A webhook of the user's own. */
async function createWebhook(user: TestUser): Promise<Subject> {
  const response = await user.call<Subject>('POST', `/api/${encodeURIComponent(user.id)}/webhooks`, {
    json: { url: 'https://hooks.example.com/in', event_types: ['task.created'] },
  });
  expect(response.status, JSON.stringify(response.body)).to.equal(201);
  return response.body;
}

function send(user: TestUser, operation: OperationSchemas, path: string, mediaType: string | undefined, body: unknown) {
  return user.call<Task>(operation.method, path, body === undefined ? {} : { json: body, contentType: mediaType });
}

/** Percent-encoded, `!'()*` too: the validator refuses reserved characters in most parameters. */
const encodeQueryText = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

function queryString(query: Query): string {
  return Object.entries(query)
    .flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).map((item) => `${encodeQueryText(name)}=${encodeQueryText(item)}`),
    )
    .join('&');
}

const getPage = (user: TestUser, query: Query) => user.call<Page>('GET', `/tasks?${queryString(query)}`);

function successStatus(operation: OperationSchemas): number {
  return Number(operation.statuses.find((status) => status.startsWith('2')));
}

/** A 400 whose every listed problem names the one place that was broken. */
function expectRejected(response: { status: number; body: unknown }, location: string, pointer: string): void {
  const summary = JSON.stringify(response.body);
  expect(response.status, summary).to.equal(400);
  const errors = (response.body as { errors?: { location: string; pointer: string }[] }).errors ?? [];
  expect(errors, summary).not.to.be.empty;
  for (const issue of errors)
    expect({ location: issue.location, pointer: issue.pointer }, summary).to.deep.equal({ location, pointer });
}

const isScheduled = (schema: Schema) => propertyNames(schema).includes('due_date');

function scheduleOf(task: Task): Schedule {
  return {
    due_date: task.due_date,
    due_at: task.due_at,
    time_zone: task.time_zone,
    recurrence: task.recurrence,
    reminders: task.reminders.map(({ at, before_due, time }) => ({ at, before_due, time })),
  };
}

/** A reminder's definition as shown: every member present. */
const shownDefinition = ({ at = null, before_due = null, time = null }: ReminderInput) => ({ at, before_due, time });

/**
 * The task's reminders as written (in order, ids unique) and when each fires: at its instant for
 * the task as it now is while that is ahead and the task open, else never. (No run here is long
 * enough for a reminder's instant to pass between two writes, which would keep it pending.)
 */
function expectReminders(task: Task, written: readonly ReminderInput[]): void {
  expect(task.reminders.map(shownDefinition), 'the reminders as written').to.deep.equal(written.map(shownDefinition));
  expect(new Set(task.reminders.map((reminder) => reminder.id)).size, 'reminder ids').to.equal(task.reminders.length);
  const now = Date.now();
  task.reminders.forEach((reminder, index) => {
    const instant = reminderInstant(reminder, scheduleOf(task))!;
    expect(reminder.fires_at, `when reminder ${index} fires`).to.equal(
      !task.completed && instant > now ? new Date(instant).toISOString() : null,
    );
  });
}

/** Whether the plan's schedule sets the field (no reminder is no reminder set). */
const isSet = (value: unknown) => value !== null && !(Array.isArray(value) && value.length === 0);

function pick<T extends object>(object: T, keys: readonly (keyof T)[]): Partial<T> {
  return Object.fromEntries(keys.map((key) => [key, object[key]])) as Partial<T>;
}

/** A rule as stored and shown: every member present, the spec's defaults for those not given. */
function completeRecurrence(recurrence: RecurrenceInput): unknown {
  return { weekdays: [], until: null, count: null, ...(withDefaults(RECURRENCE_SCHEMA, recurrence) as object) };
}

/**
 * What a valid body is made of: the schema's values for the plain fields, tags the server
 * accepts, a schedule that keeps the rules, and which schedule fields to send.
 */
interface Plan {
  readonly base: Body;
  readonly schedule: Schedule;
  readonly keys: readonly ScheduleField[];
}

/** Fields of the body schema other than the schedule and tags, valid. */
function plainFields(schema: Schema): Arbitrary<Body> {
  const scheduled = isScheduled(schema);
  // A task's place (its list, its parent) is the tree's tests' (test/api/subtasks.test.ts): here every task is at the top of the default list.
  const base = validValue(
    withoutProperties(schema, scheduled ? [...SCHEDULE_FIELDS, 'tags', ...PLACE_FIELDS] : PLACE_FIELDS),
  ) as Arbitrary<Body>;
  if (!propertyNames(schema).includes('tags')) return base;
  return fc
    .tuple(base, fc.option(validTags(), { nil: undefined }))
    .map(([fields, tags]) => (tags === undefined ? fields : { ...fields, tags }));
}

/** A plan for a valid body of that media type (sometimes none, where the body is optional). */
function bodyPlan(
  operation: OperationSchemas,
  mediaType = Object.keys(operation.bodies)[0],
): Arbitrary<Plan | undefined> {
  if (mediaType === undefined) return fc.constant(undefined);
  const schema = operation.bodies[mediaType]!;
  const none: Schedule = { due_date: null, due_at: null, time_zone: null, recurrence: null, reminders: [] };
  const plan = fc.record({
    base: plainFields(schema),
    schedule: isScheduled(schema) ? validSchedule() : fc.constant(none),
    keys: isScheduled(schema) ? fc.subarray([...SCHEDULE_FIELDS]) : fc.constant([]),
  });
  return operation.bodyRequired ? plan : fc.option(plan, { nil: undefined });
}

/**
 * The body a plan stands for, given the task as it is. A create or a replace sends the schedule
 * fields that are set and some that are not (absent means none); a merge patch sends the chosen
 * fields when the task as patched keeps the rules, and all four otherwise.
 */
function bodyOf(operation: OperationSchemas, plan: Plan | undefined, current: Task | undefined): Body | undefined {
  if (plan === undefined) return undefined;
  const schema = Object.values(operation.bodies)[0]!;
  if (!isScheduled(schema)) return plan.base;
  if (!FULL_WRITES.has(operation.operationId)) {
    const chosen = pick(plan.schedule, plan.keys);
    const patched = { ...scheduleOf(current!), ...chosen };
    return { ...plan.base, ...(brokenRules(patched).length === 0 ? chosen : plan.schedule) };
  }
  return {
    ...plan.base,
    ...pick(
      plan.schedule,
      SCHEDULE_FIELDS.filter((field) => isSet(plan.schedule[field]) || plan.keys.includes(field)),
    ),
  };
}

/** What a valid write of `body` must leave: given fields as sent (title trimmed, tags normalised, the rule completed), others as the write implies. */
function expectReflects(
  operation: OperationSchemas,
  task: Task,
  body: Body | undefined,
  before: Task | undefined,
): void {
  const sent = body ?? {};
  const full = FULL_WRITES.has(operation.operationId) || before === undefined;
  const given = <K extends keyof Task>(name: K, fallback: Task[K]): Task[K] =>
    name in sent ? (sent[name] as Task[K]) : full ? fallback : before[name];
  const completed =
    operation.operationId === 'completeTask'
      ? ((sent.completed as boolean | undefined) ?? !before!.completed)
      : given('completed', false);
  const recurrence =
    'recurrence' in sent && sent.recurrence !== null
      ? completeRecurrence(sent.recurrence as RecurrenceInput)
      : given('recurrence', null);
  expect(task).to.deep.include({
    title: 'title' in sent ? (sent.title as string).trim() : before?.title,
    description: given('description', null),
    completed,
    priority: given('priority', 'none'),
    tags: 'tags' in sent ? normalizedTags(sent.tags as string[]) : full ? [] : before.tags,
    due_date: given('due_date', null),
    due_at: given('due_at', null),
    time_zone: given('time_zone', null),
    recurrence,
    // A task that repeats is the first occurrence of its own series.
    series_id: recurrence === null ? null : task.id,
  });
  expectReminders(
    task,
    'reminders' in sent ? (sent.reminders as ReminderInput[]) : full ? [] : scheduleOf(before).reminders,
  );
  // Reminders not written are the task's own, ids and all.
  const ids = (of: Task) => of.reminders.map((reminder) => reminder.id);
  if (!('reminders' in sent) && !full) expect(ids(task), 'reminder ids kept').to.deep.equal(ids(before));
  if (!completed) expect(task.completed_at).to.equal(null);
  else if (before?.completed)
    expect(task.completed_at, 'completed_at of a task that stays completed').to.equal(before.completed_at);
  else expect(task.completed_at).to.be.a('string');
  if (before) expect([task.id, task.created_at]).to.deep.equal([before.id, before.created_at]);
}

/**
 * Completing a recurring task (by PUT, PATCH or completeTask) creates its next occurrence once,
 * unless the series has ended; an occurrence once linked stays linked. (Whether a task created
 * completed starts its series is left open: the spec speaks of completing, not of creating.)
 */
async function expectSeries(user: TestUser, task: Task, before: Task | undefined): Promise<void> {
  const linked = before?.next_occurrence_id ?? null;
  const mayContinue = task.completed && task.recurrence !== null && linked === null && !(before?.completed ?? false);
  if (task.next_occurrence_id === linked) {
    const rule = task.recurrence;
    const dueYear = Number((task.due_date ?? task.due_at ?? '9999').slice(0, 4));
    // Without until, with a count above 1, and far from year 9999, the series cannot have ended.
    const continues =
      rule !== null && rule.until === null && (rule.count === null || rule.count! >= 2) && dueYear <= 8999;
    if (before !== undefined && mayContinue && continues)
      expect.fail(`completing recurring task ${task.id} created no next occurrence: ${JSON.stringify(task)}`);
    return;
  }
  expect(linked, 'an occurrence once linked stays linked').to.equal(null);
  expect(mayContinue, 'only completing a recurring task creates an occurrence').to.equal(true);
  const next = await user.call<Task>('GET', `/tasks/${task.next_occurrence_id}`);
  expect(next.status).to.equal(200);
  expect(next.body, 'the next occurrence copies the task').to.deep.include({
    series_id: task.id,
    completed: false,
    next_occurrence_id: null,
    title: task.title,
    description: task.description,
    priority: task.priority,
    tags: task.tags,
    time_zone: task.time_zone,
    recurrence: task.recurrence,
  });
  // Its reminders are the task's, with their ids, armed for its own due.
  expectReminders(next.body, scheduleOf(task).reminders);
  expect(next.body.reminders.map((reminder) => reminder.id)).to.deep.equal(
    task.reminders.map((reminder) => reminder.id),
  );
}

/** WHATWG URLs resolve `.` and `..` segments (even percent-encoded) before sending: such ids never reach the task route. */
const isDotSegment = (text: string) => text === '.' || text === '..';

// listTasks: every valid query is answered, and its cursors walk exactly the matching tasks in
// the order asked for; every invalid one is a 400 naming the parameter; a cursor only goes with
// the query it was issued for.

const queryParameter = (name: string) =>
  validValue(parameterSchema(list, name), 'text') as Arbitrary<string | string[]>;
/** Priorities in the spec's order, least important first: the order `sort=priority` follows. */
const PRIORITY_ORDER = enumValues(
  propertySchema(operationSchemas('createTask').bodies['application/json']!, 'priority'),
) as string[];
const DEFAULT_LIMIT = Number(parameterSchema(list, 'limit').default);
const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Values that hit the seeded tasks, next to the schema's own (which rarely do). */
const TARGETED: Record<string, Arbitrary<string | string[]>> = {
  tag: fc.array(fc.constantFrom('work', 'WORK', ' home ', 'Urgent', 'errand', 'no-such-tag'), {
    minLength: 1,
    maxLength: 3,
  }),
  q: fc.constantFrom(
    'plan',
    'report',
    'milk',
    'planning',
    'title',
    'the',
    'plan -offsite',
    '"same title"',
    'milk or zebra',
    'äpfel',
  ),
  due_after: fc.constantFrom(
    '0001-01-01T00:00:00Z',
    '2016-12-31T23:59:60Z',
    '2017-01-01T01:00:00+01:00',
    '2099-01-01T00:00:00-05:00',
    '9999-12-31T18:30:00Z',
    new Date().toISOString(),
  ),
  due_before: fc.constantFrom(
    '0001-01-01T00:00:00.001Z',
    '2017-01-01T00:00:00Z',
    '2099-01-01T00:00:00-05:00',
    '9999-12-31T23:59:59.999Z',
    new Date().toISOString(),
  ),
  limit: fc.integer({ min: 1, max: 5 }).map(String),
};

const modelQuery = parametersSchema(list, 'query', PLACE_FIELDS);
const QUERY_NAMES = list.parameters
  .filter(
    (parameter) => parameter.in === 'query' && parameter.name !== 'cursor' && !PLACE_FIELDS.includes(parameter.name),
  )
  .map((parameter) => parameter.name);

/** How often each parameter is given: filters now and then, so that many queries still match tasks. */
const PRESENCE: Record<string, number> = { sort: 0.6, order: 0.5, limit: 0.7 };
const DEFAULT_PRESENCE = 0.25;

/** Queries the server must answer: any combination of the parameters, `relevance` only with `q`, due bounds it can store. */
const validQuery: Arbitrary<Query> = fc
  .record(
    Object.fromEntries(
      QUERY_NAMES.map((name) => {
        const value = TARGETED[name] ? fc.oneof(queryParameter(name), TARGETED[name]) : queryParameter(name);
        const presence = PRESENCE[name] ?? DEFAULT_PRESENCE;
        return [
          name,
          fc.oneof(
            { arbitrary: fc.constant(undefined), weight: Math.round(100 * (1 - presence)) },
            { arbitrary: value, weight: Math.round(100 * presence) },
          ),
        ];
      }),
    ),
  )
  .map((drawn) => Object.fromEntries(Object.entries(drawn).filter(([, value]) => value !== undefined)) as Query)
  .filter(
    (query) =>
      query.sort !== 'position' &&
      (query.sort !== 'relevance' || query.q !== undefined) &&
      ['due_after', 'due_before'].every(
        (name) => query[name] === undefined || isStorableInstant(instantOf(query[name] as string)),
      ),
  );

/** When a task counts as due, and as overdue (see listTasks: "Due times compared"). */
function dueTimes(
  schedule: Pick<Schedule, 'due_date' | 'due_at' | 'time_zone'>,
): { key: number; overdueAt: number } | null {
  if (schedule.due_at !== null) {
    const at = instantOf(schedule.due_at)!;
    return { key: at, overdueAt: at };
  }
  if (schedule.due_date === null) return null;
  const day = DateTime.fromISO(schedule.due_date, { zone: schedule.time_zone ?? 'UTC' }).startOf('day');
  return { key: day.toMillis(), overdueAt: day.plus({ days: 1 }).toMillis() };
}

const TWO_DAYS_MS = 2 * 86_400_000;
/** Seeded due times stay clear of now (overdue must not change during a run) and within what every database holds. */
function seedable(schedule: Schedule): boolean {
  const due = dueTimes(schedule);
  return (
    due === null ||
    [due.key, due.overdueAt].every((at) => isStorableInstant(at) && Math.abs(at - Date.now()) > TWO_DAYS_MS)
  );
}

const seedTask = fc
  .record({
    title: fc.constantFrom(
      'Plan the offsite',
      'Planning poker',
      'buy milk',
      'Äpfel kaufen',
      'write report',
      'report',
      'zebra crossing',
      'same title',
      'same title',
      'Zoë',
    ),
    description: fc.constantFrom(null, 'Agenda, rooms and travel', 'the plan', 'milk and bread', 'planned for Friday'),
    completed: fc.boolean(),
    priority: fc.constantFrom(...PRIORITY_ORDER),
    tags: fc.subarray(['work', 'Home', 'urgent ', 'errand']),
    schedule: validSchedule().filter(seedable),
  })
  .map(({ schedule, ...fields }): Body => ({ ...fields, ...schedule }));

/** The tasks each list property seeds for its user: drawn once (the same every run), and a few edges. */
const SEEDS: Body[] = [
  ...fc.sample(seedTask, { numRuns: 22, seed: 20261121 }),
  { title: 'first day', due_date: '0001-01-02', time_zone: 'America/New_York' },
  { title: 'last day', due_date: '9999-12-30', time_zone: 'Asia/Kolkata', tags: ['work'] },
  { title: 'leap second', due_at: '2016-12-31T23:59:60Z', time_zone: 'UTC' },
  { title: 'the same instant', due_at: '2017-01-01T01:00:00+01:00', time_zone: 'Europe/Berlin', priority: 'high' },
  { title: 'an hour ago', due_at: new Date(Date.now() - 3_600_000).toISOString(), time_zone: 'UTC' },
];

interface Seeded {
  readonly task: Task;
  readonly created: bigint;
  readonly updated: bigint;
  readonly titleRank: number;
  readonly due: { key: number; overdueAt: number } | null;
}

type Knex = ReturnType<ApiSuite['database']>['knex'];

/** Creates the tasks; returns them with their exact timestamps and title order, read from the database. */
async function seed(knex: Knex, user: TestUser, bodies: Body[]): Promise<Seeded[]> {
  const tasks: Task[] = [];
  for (const body of bodies) tasks.push(await user.createTask(body));
  const rows: { id: number; created: string; updated: string; title_rank: string | number }[] = await knex('tasks')
    .where('user_id', user.id)
    .select(
      'id',
      knex.raw('(extract(epoch from created_at) * 1000000)::bigint::text as created'),
      knex.raw('(extract(epoch from updated_at) * 1000000)::bigint::text as updated'),
      knex.raw('dense_rank() over (order by title collate "und-x-icu") as title_rank'),
    );
  return tasks.map((task) => {
    const row = rows.find((candidate) => Number(candidate.id) === task.id)!;
    return {
      task,
      created: BigInt(row.created),
      updated: BigInt(row.updated),
      titleRank: Number(row.title_rank),
      due: dueTimes(task),
    };
  });
}

/** The user's tasks the full-text search finds, with their rank (PostgreSQL's own: the test cannot stem English). */
async function searchRanks(knex: Knex, user: TestUser, q: string): Promise<Map<number, number>> {
  const query = knex.raw("websearch_to_tsquery('english', ?)", [q]);
  const rows: { id: number; rank: number | string }[] = await knex('tasks')
    .where('user_id', user.id)
    .whereRaw('search @@ ?', [query])
    .select('id', knex.raw('ts_rank(search, ?) as rank', [query]));
  return new Map(rows.map((row) => [Number(row.id), Number(row.rank)]));
}

/** Whether the task passes the query's filters (all but `q`). */
function matches({ task, due }: Seeded, query: Query, now: number): boolean {
  const status = query.status ?? 'all';
  if (status !== 'all' && task.completed !== (status === 'completed')) return false;
  const priorities = asList(query.priority);
  if (priorities.length > 0 && !priorities.includes(task.priority)) return false;
  if (!normalizedTags(asList(query.tag)).every((tag) => task.tags.includes(tag))) return false;
  if (query.due_after !== undefined && (due === null || due.key < instantOf(query.due_after as string)!)) return false;
  if (query.due_before !== undefined && (due === null || due.key >= instantOf(query.due_before as string)!))
    return false;
  const overdue = !task.completed && due !== null && due.overdueAt <= now;
  return query.overdue === undefined || overdue === (query.overdue === 'true');
}

/** The ids the query must list, in order: by the sort key (undated last either way), ties by id in the same direction. */
async function expectedIds(knex: Knex, user: TestUser, seeded: Seeded[], query: Query): Promise<number[]> {
  const now = Date.now();
  let rows = seeded.filter((row) => matches(row, query, now));
  const ranks = query.q === undefined ? undefined : await searchRanks(knex, user, query.q as string);
  if (ranks) rows = rows.filter((row) => ranks.has(row.task.id));
  const sort = (query.sort as string | undefined) ?? (query.q === undefined ? 'created_at' : 'relevance');
  const direction = (query.order ?? 'desc') === 'desc' ? -1 : 1;
  const keyOf = (row: Seeded): bigint | number | null => {
    switch (sort) {
      case 'created_at':
        return row.created;
      case 'updated_at':
        return row.updated;
      case 'priority':
        return PRIORITY_ORDER.indexOf(row.task.priority);
      case 'title':
        return row.titleRank;
      case 'due':
        return row.due?.key ?? null;
      case 'relevance':
        return ranks!.get(row.task.id)!;
      default:
        throw new Error(`no sort ${sort}`);
    }
  };
  return rows
    .sort((a, b) => {
      const [x, y] = [keyOf(a), keyOf(b)];
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1;
      } else if (x !== y) return (x < y ? -1 : 1) * direction;
      return (a.task.id - b.task.id) * direction;
    })
    .map((row) => row.task.id);
}

/** What decides a list's content and order (not `limit`), as the spec compares them: sets, lower-case tags, instants. */
function viewOf(query: Query): string {
  const instant = (name: string) => (query[name] === undefined ? null : instantOf(query[name] as string));
  return JSON.stringify([
    query.sort ?? (query.q === undefined ? 'created_at' : 'relevance'),
    query.order ?? 'desc',
    query.status ?? 'all',
    [...new Set(asList(query.priority))].sort(),
    [...new Set(normalizedTags(asList(query.tag)))].sort(),
    instant('due_after'),
    instant('due_before'),
    query.overdue ?? null,
    query.q ?? null,
  ]);
}

const swapAsciiCase = (text: string) =>
  text.replace(/[a-z]/gi, (char) => (char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase()));

/** The same view spelled otherwise: defaults written out or left out, lists reordered and repeated, tags in other case and padding, instants in UTC. */
function respelled(query: Query, flips: boolean[]): Query {
  const result: Query = { ...query };
  const toggle = (name: string, implied: string, flip: boolean | undefined) => {
    if (!flip) return;
    if (result[name] === undefined) result[name] = implied;
    else if (result[name] === implied) delete result[name];
  };
  toggle('status', 'all', flips[0]);
  toggle('order', 'desc', flips[1]);
  toggle('sort', query.q === undefined ? 'created_at' : 'relevance', flips[2]);
  const priorities = asList(query.priority).reverse();
  if (priorities.length > 0)
    result.priority = flips[3] && priorities.length < 4 ? [...priorities, priorities[0]!] : priorities;
  const tags = asList(query.tag)
    .reverse()
    .map((tag) => (flips[4] ? swapAsciiCase(tag) : tag))
    .map((tag) => (flips[5] && [...tag].length <= 38 ? ` ${tag} ` : tag));
  if (tags.length > 0) result.tag = tags;
  for (const name of ['due_after', 'due_before']) {
    if (flips[6] && query[name] !== undefined) result[name] = new Date(instantOf(query[name] as string)!).toISOString();
  }
  result.limit = flips[7] ? '2' : '1';
  return result;
}

/** The expected pointer of a query broken at `pointer`: a parameter sent once and empty is named as a whole by the validator. */
function reportedPointer(query: Query, pointer: string): string {
  const name = Object.keys(query).find((candidate) => pointer === `${pointerTo(candidate)}/0`);
  return name !== undefined && Array.isArray(query[name]) && query[name].length === 1 && query[name][0] === ''
    ? pointerTo(name)
    : pointer;
}

describe('properties: the generators follow the spec', () => {
  // The same judge as the server's validator: ajv with full format checks, coercing parameters (which arrive as text).
  const spec = loadContract();
  const judge = (options: { coerceTypes?: boolean }) =>
    addFormats(new Ajv({ strict: false, allErrors: true, ...options }), { mode: 'full' });
  const judges: Record<Encoding, Ajv> = { json: judge({}), text: judge({ coerceTypes: true }) };
  const pointerOf = (error: ErrorObject): string => {
    if (error.keyword === 'required') return `${error.instancePath}${pointerTo(String(error.params.missingProperty))}`;
    if (error.keyword === 'additionalProperties')
      return `${error.instancePath}${pointerTo(String(error.params.additionalProperty))}`;
    return error.instancePath;
  };
  const taskKinds: Breakage[] = [
    'type',
    'missing',
    'extra',
    'too-long',
    'too-short',
    'pattern',
    'enum',
    'format',
    'range',
    'fraction',
    'too-many',
    'duplicate',
  ];
  const cases: { name: string; schema: Schema; encoding: Encoding; kinds: Breakage[] }[] = [
    {
      name: 'createTask body',
      schema: operationSchemas('createTask').bodies['application/json']!,
      encoding: 'json',
      kinds: taskKinds,
    },
    {
      name: 'replaceTask body',
      schema: operationSchemas('replaceTask').bodies['application/json']!,
      encoding: 'json',
      kinds: taskKinds,
    },
    // A merge patch requires no member, but a recurrence requires its frequency.
    {
      name: 'updateTask body',
      schema: operationSchemas('updateTask').bodies['application/merge-patch+json']!,
      encoding: 'json',
      kinds: taskKinds,
    },
    {
      name: 'completeTask body',
      schema: operationSchemas('completeTask').bodies['application/json']!,
      encoding: 'json',
      kinds: ['type', 'extra'],
    },
    {
      name: 'listTasks query',
      schema: parametersSchema(list, 'query'),
      encoding: 'text',
      kinds: ['enum', 'range', 'fraction', 'type', 'extra', 'too-long', 'too-short', 'pattern', 'format', 'too-many'],
    },
    {
      name: 'task_id',
      schema: parameterSchema(byTaskId.get('getTask')!, 'task_id'),
      encoding: 'text',
      kinds: ['range', 'fraction', 'type'],
    },
  ];
  for (const { name, schema, encoding, kinds } of cases) {
    it(`${name}: valid values pass; each invalid one fails exactly at its pointer; every kind of breakage occurs`, () => {
      const validate = judges[encoding].compile({ ...schema, components: spec.components });
      for (const value of fc.sample(validValue(schema, encoding), RUNS)) {
        expect(validate(value), `${JSON.stringify(value)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      }
      const seen = new Set<Breakage>();
      // Nested members break in many ways: sample until each kind showed (or give up and report).
      for (let batch = 0; batch < 10 && kinds.some((kind) => !seen.has(kind)); batch += 1) {
        for (const broken of fc.sample(invalidValue(schema, encoding), RUNS)) {
          const summary = JSON.stringify(broken);
          expect(validate(broken.value), summary).to.equal(false);
          expect([...new Set(validate.errors!.map(pointerOf))], summary).to.deep.equal([broken.pointer]);
          seen.add(broken.breakage);
        }
      }
      expect([...seen]).to.have.members(kinds);
    });
  }

  it('schedules and tags: valid ones keep every rule; each broken one breaks exactly its rule, which the schema refuses at its pointer or (a rule in words) allows; every rule is broken', () => {
    const validate = judges.json.compile({
      ...operationSchemas('createTask').bodies['application/json']!,
      components: spec.components,
    });
    const accepts = (body: Body) =>
      validate(body) || expect.fail(`${JSON.stringify(body)}: ${JSON.stringify(validate.errors)}`);
    for (const schedule of fc.sample(validSchedule(), RUNS)) {
      accepts({ title: 'x', ...schedule });
      expect(brokenRules(schedule), JSON.stringify(schedule)).to.deep.equal([]);
    }
    for (const tags of fc.sample(validTags(), RUNS)) accepts({ title: 'x', tags });
    const seen = new Set<string>();
    for (const { schedule, rule } of fc.sample(invalidSchedule(), 2 * RUNS)) {
      const body = { title: 'x', ...schedule };
      if (rule.inSchema) {
        expect(validate(body), `${rule.name}: ${JSON.stringify(body)}`).to.equal(false);
        expect([...new Set(validate.errors!.map(pointerOf))], JSON.stringify(body)).to.deep.equal([rule.pointer]);
      } else accepts(body);
      expect(
        brokenRules(schedule).map((broken) => broken.name),
        JSON.stringify(schedule),
      ).to.deep.equal([rule.name]);
      seen.add(rule.name);
    }
    expect([...seen]).to.have.members(SCHEDULE_RULES.map((rule) => rule.name));
    for (const { tags, pointer } of fc.sample(invalidTags(), RUNS)) {
      accepts({ title: 'x', tags });
      const index = Number(pointer.split('/').at(-1));
      expect(
        normalizedTags(tags.slice(0, index)).every((tag) => [...tag].length <= 40),
        JSON.stringify(tags),
      ).to.equal(true);
      expect([...normalizedTags([tags[index]!])[0]!].length, JSON.stringify(tags)).to.be.above(40);
    }
  });
});

describeEachDatabase('properties: requests generated from the spec', (suite) => {
  const rowsOf = (user: TestUser) => suite.database().knex('tasks').where('user_id', user.id).orderBy('id');

  for (const operation of BODY_WRITES) {
    const onTask = operation.path.includes('{task_id}');
    for (const mediaType of Object.keys(operation.bodies)) {
      describe(`${operation.operationId} with ${mediaType}`, () => {
        it('accepts every valid body, answers with the task it describes, and stores exactly that', async function () {
          this.timeout(TIME_LIMIT_MS + 10_000);
          const user = suite.newUser();
          // Open recurring tasks: completing one (by any write) continues its series.
          let current = onTask
            ? await user.createTask({
                due_date: '2030-06-15',
                time_zone: 'Europe/Berlin',
                recurrence: { frequency: 'weekly' },
              })
            : undefined;
          const recurring = validSchedule().filter((schedule) => schedule.recurrence !== null);
          await check(
            fc.asyncProperty(
              bodyPlan(operation, mediaType),
              fc.option(recurring, { nil: undefined, freq: 4 }),
              async (plan, fresh) => {
                // Now and then the writes go on with a new recurring task, so that series start and continue again.
                if (onTask && fresh !== undefined) current = await user.createTask({ ...fresh });
                const before = current;
                const body = bodyOf(operation, plan, before);
                const response = await send(user, operation, pathOf(operation, user, before?.id), mediaType, body);
                const summary = `${before === undefined ? '' : `task ${JSON.stringify(before)}, `}body ${JSON.stringify(body)} -> ${JSON.stringify(response.body)}`;
                expect(response.status, summary).to.equal(successStatus(operation));
                const stored = (await user.call<Task>('GET', `/tasks/${response.body.id}`)).body;
                // The model follows the server even when a check below fails, so that shrinking replays from the true state.
                if (onTask) current = stored;
                expectReflects(operation, response.body, body, before);
                if (response.status === 201)
                  expect(response.headers.get('location')).to.equal(`${pathOf(list, user)}/${response.body.id}`);
                expect(stored, 'the task as stored').to.deep.equal(response.body);
                await expectSeries(user, response.body, before);
              },
            ),
          );
        });

        it('rejects every invalid body with a 400 naming the broken field, and changes nothing', async function () {
          this.timeout(TIME_LIMIT_MS + 10_000);
          const user = suite.newUser();
          const task = await user.createTask({ description: 'kept' });
          const path = pathOf(operation, user, task.id);
          await check(
            fc.asyncProperty(invalidValue(operation.bodies[mediaType]!), async (broken) => {
              const before = await rowsOf(user);
              expectRejected(await send(user, operation, path, mediaType, broken.value), 'body', broken.pointer);
              expect(await rowsOf(user)).to.deep.equal(before);
            }),
          );
        });
      });
    }
  }

  it('rejects every body that breaks one rule across fields (in the schema, or in its words) with a 400 naming it, and changes nothing', async function () {
    this.timeout(TIME_LIMIT_MS + 10_000);
    const user = suite.newUser();
    const task = await user.createTask({
      description: 'kept',
      due_date: '2026-12-01',
      time_zone: 'Europe/Berlin',
      tags: ['kept'],
    });
    const writes = [
      ['createTask', 'application/json'],
      ['replaceTask', 'application/json'],
      // Sends all four schedule fields: the task as patched is the body's schedule.
      ['updateTask', 'application/merge-patch+json'],
    ] as const;
    const requests = fc.constantFrom(...writes).chain(([operationId, mediaType]) =>
      fc.record({
        operationId: fc.constant(operationId),
        mediaType: fc.constant(mediaType),
        base: plainFields(operationSchemas(operationId).bodies[mediaType]!),
        schedule: validSchedule(),
        broken: fc.oneof(
          {
            weight: SCHEDULE_RULES.length,
            arbitrary: invalidSchedule().map(({ schedule, rule }) => ({
              rule: rule.name,
              fields: schedule as unknown as Body,
              pointer: rule.pointer,
            })),
          },
          {
            weight: 1,
            arbitrary: invalidTags().map(({ tags, pointer }) => ({
              rule: 'tags at most 40 characters in lower case',
              fields: { tags },
              pointer,
            })),
          },
        ),
      }),
    );
    await check(
      fc.asyncProperty(requests, async ({ operationId, mediaType, base, schedule, broken }) => {
        const operation = operationSchemas(operationId);
        const before = await rowsOf(user);
        const body = { ...base, ...schedule, ...broken.fields };
        expectRejected(
          await send(user, operation, pathOf(operation, user, task.id), mediaType, body),
          'body',
          broken.pointer,
        );
        expect(await rowsOf(user)).to.deep.equal(before);
      }),
    );
  });

  describe('listTasks', () => {
    it('answers every valid query, and its cursors walk exactly the matching tasks, once each, in the order asked for', async function () {
      this.timeout(TIME_LIMIT_MS + 20_000);
      const knex = suite.database().knex;
      const user = suite.newUser();
      const seeded = await seed(knex, user, SEEDS);
      await check(
        fc.asyncProperty(validQuery, async (query) => {
          const limit = Number(query.limit ?? DEFAULT_LIMIT);
          const listed: number[] = [];
          let cursor: string | null = null;
          let pages = 0;
          do {
            const response: ApiResponse<Page> = await getPage(user, cursor === null ? query : { ...query, cursor });
            expect(response.status, JSON.stringify(response.body)).to.equal(200);
            const { items, next_cursor: next } = response.body;
            if (next !== null) expect(items.length, 'a page with a next one is full').to.equal(limit);
            else if (pages > 0) expect(items.length, 'the last of several pages is not empty').to.be.within(1, limit);
            listed.push(...items.map((task) => task.id));
            cursor = next;
            pages += 1;
          } while (cursor !== null && pages <= seeded.length + 1);
          expect(cursor, 'the walk ends').to.equal(null);
          expect(new Set(listed).size, `no task twice: ${listed.join()}`).to.equal(listed.length);
          const now = Date.now();
          const stray = listed.filter(
            (id) =>
              !matches(
                seeded.find((row) => row.task.id === id)!,
                query,
                now,
              ),
          );
          expect(stray, 'listed tasks that do not match the filters').to.deep.equal([]);
          const expected = await expectedIds(knex, user, seeded, query);
          expect([...listed].sort(), 'the matching tasks').to.deep.equal([...expected].sort());
          expect(listed, 'in the order asked for').to.deep.equal(expected);
        }),
      );
    });

    it('rejects every invalid query with a 400 naming the broken parameter', async function () {
      this.timeout(TIME_LIMIT_MS + 10_000);
      const user = suite.newUser();
      for (const body of SEEDS.slice(0, 3)) await user.createTask(body);
      const cursorSchema = parameterSchema(list, 'cursor');
      const broken: Arbitrary<{ query: Query; pointer: string }> = fc.oneof(
        // One parameter broken against its schema, or an unknown one. A schema-valid cursor the
        // server never issued is itself rejected, so no other cursor comes along.
        invalidValue(modelQuery, 'text')
          .map(({ value, pointer }: Invalid) => {
            const { cursor, ...rest } = value as Query;
            const query = pointer === '/cursor' ? { ...rest, cursor: cursor! } : rest;
            return { query, pointer: reportedPointer(query, pointer) };
          })
          .filter(({ query, pointer }) => query.sort !== 'position' || pointer === '/sort'),
        // Cursors that fit the schema but were never issued.
        fc
          .tuple(validQuery, validValue(cursorSchema, 'text') as Arbitrary<string>)
          .map(([query, cursor]) => ({ query: { ...query, cursor }, pointer: '/cursor' })),
        // Rules across parameters: relevance needs q; due bounds are instants the server can compare.
        validQuery.map(({ q: _q, ...query }) => ({ query: { ...query, sort: 'relevance' }, pointer: '/sort' })),
        fc
          .tuple(validQuery, fc.constantFrom('due_after', 'due_before'), unstorableDateTime())
          .map(([query, name, instant]) => ({ query: { ...query, [name]: instant }, pointer: pointerTo(name) })),
      );
      await check(
        fc.asyncProperty(broken, async ({ query, pointer }) => {
          expectRejected(await getPage(user, query), 'query', pointer);
        }),
      );
    });

    it('takes a cursor only with the query it was issued for, however that query is spelled', async function () {
      this.timeout(TIME_LIMIT_MS + 10_000);
      const user = suite.newUser();
      for (const body of SEEDS.slice(0, 8)) await user.createTask(body);
      const cases = fc.record({
        first: validQuery,
        other: validQuery,
        respell: fc.boolean(),
        flips: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      });
      await check(
        fc.asyncProperty(cases, async ({ first, other, respell, flips }) => {
          let issuedFor: Query = { ...first, limit: '1' };
          let page = await getPage(user, issuedFor);
          if (page.body.next_cursor === null) {
            // Too few tasks match: every task does without filters.
            issuedFor = {
              limit: '1',
              ...(first.sort === undefined || first.sort === 'relevance' ? {} : { sort: first.sort }),
              ...(first.order === undefined ? {} : { order: first.order }),
            };
            page = await getPage(user, issuedFor);
          }
          expect(page.status, JSON.stringify(page.body)).to.equal(200);
          const cursor = page.body.next_cursor!;
          expect(cursor, 'a cursor').to.be.a('string');
          const used = respell ? respelled(issuedFor, flips) : other;
          const response = await getPage(user, { ...used, cursor });
          if (viewOf(used) !== viewOf(issuedFor)) return expectRejected(response, 'query', '/cursor');
          expect(response.status, JSON.stringify(response.body)).to.equal(200);
          const same = await getPage(user, { ...issuedFor, limit: used.limit ?? String(DEFAULT_LIMIT), cursor });
          expect(
            response.body.items.map((task) => task.id),
            'the same page',
          ).to.deep.equal(same.body.items.map((task) => task.id));
        }),
      );
    });
  });

  it('rejects every malformed task id, on every operation that takes one, with a 400 naming it, and changes nothing', async function () {
    this.timeout(TIME_LIMIT_MS + 10_000);
    const user = suite.newUser();
    await user.createTask();
    // Drawn by operationId, so that a counterexample reads short.
    const requests = fc.constantFrom(...byTaskId.keys()).chain((operationId) => {
      const operation = byTaskId.get(operationId)!;
      const mediaType = Object.keys(operation.bodies)[0];
      return fc.record({
        operationId: fc.constant(operationId),
        taskId: invalidValue(parameterSchema(operation, 'task_id'), 'text').filter(
          ({ value }) => !isDotSegment(String(value)),
        ),
        // Valid for the schema, so that the id is the only problem (rules across fields are never reached).
        body:
          mediaType === undefined
            ? fc.constant(undefined)
            : operation.bodyRequired
              ? validValue(operation.bodies[mediaType]!)
              : fc.option(validValue(operation.bodies[mediaType]!), { nil: undefined }),
      });
    });
    await check(
      fc.asyncProperty(requests, async ({ operationId, taskId, body }) => {
        const operation = byTaskId.get(operationId)!;
        const before = await rowsOf(user);
        const response = await send(
          user,
          operation,
          pathOf(operation, user, String(taskId.value)),
          Object.keys(operation.bodies)[0],
          body,
        );
        expectRejected(response, 'path', pointerTo('task_id'));
        expect(await rowsOf(user)).to.deep.equal(before);
      }),
    );
  });
});

// Every operation, exercised as an outside client that reads only the spec would: requests drawn
// from the operation's own schemas (path, query, headers, body), the same with every member an
// object may have, the operation's request examples, and a body made of its members' examples.
// The answer must be a success, or an error whose cause is the state of things the request could
// not see: a missing task, a stale ETag, a reused key, a cursor the server did not issue. A 400
// is allowed only for a rule the schema states in words (its descriptions); never a 5xx.

/** A rule the spec states in words only (a description), or that depends on the task as it is (a merge patch): where, and its message. */
interface WordedRule {
  readonly pointer: RegExp;
  readonly message: string;
}
const TASK_RULES_IN_WORDS = [
  ['/due_at', 'must be an instant in years 1 to 9999 (UTC)'], // DueAt's description
  ['/recurrence/until', 'must not be before the due date'], // Recurrence.until's description
  ['/tags/\\d+', 'must NOT have more than 40 characters in lower case'], // Tags' description
  // ReminderAt's, ReminderOffset's and ReminderDefinition's descriptions.
  ['/reminders/\\d+/at', 'must be an instant in years 1 to 9999 (UTC)'],
  ['/reminders/\\d+/before_due', 'needs due_date or due_at'],
  ['/reminders/\\d+/before_due', 'must be at most 30 days (P30D)'],
  ['/reminders/\\d+/before_due', 'must be whole days (such as P1D) on a task due on a date'],
  ['/reminders/\\d+/before_due', 'must not move the reminder out of years 1 to 9999 (UTC)'],
  ['/reminders/\\d+/time', 'is required on a task due on a date'],
  ['/reminders/\\d+/time', 'is only for a task due on a date (all day)'],
] as const;
/** A merge patch is judged on the task as patched (TaskPatch's description): these depend on what the task was. */
const PATCH_RULES_ON_STATE = [
  ['/due_at', 'must not be set together with due_date'],
  ['/time_zone', 'is required with due_at'],
  ['/time_zone', 'needs due_date or due_at'],
  ['/recurrence', 'needs due_date or due_at'],
] as const;
const rulesOf = (at: string, rules: readonly (readonly [string, string])[]): WordedRule[] =>
  rules.map(([pointer, message]) => ({ pointer: new RegExp(`^${at}${pointer}$`), message }));
/** Where a webhook may point (WebhookUrl's description): the URL parser's, the scheme, credentials, the host. */
const WEBHOOK_URL_RULES = [
  'is not a valid URL',
  'must be an https:// URL',
  'must not contain a user name or password',
  'must not name a loopback, private or otherwise non-public address',
].map((message) => ({ pointer: /^\/url$/, message }));
const WORDED: Record<string, WordedRule[]> = {
  createWebhook: WEBHOOK_URL_RULES,
  updateWebhook: WEBHOOK_URL_RULES,
  createTask: rulesOf('', TASK_RULES_IN_WORDS),
  replaceTask: rulesOf('', TASK_RULES_IN_WORDS),
  updateTask: rulesOf('', [...TASK_RULES_IN_WORDS, ...PATCH_RULES_ON_STATE]),
  bulkTasks: [
    ...rulesOf('/actions/\\d+/task', TASK_RULES_IN_WORDS),
    ...rulesOf('/actions/\\d+/patch', [...TASK_RULES_IN_WORDS, ...PATCH_RULES_ON_STATE]),
  ],
  listTasks: [
    // Sort's description: relevance needs q; Instant's: years 1 to 9999 in UTC.
    { pointer: /^\/sort$/, message: 'relevance needs q' },
    // Manual order is within a list or a parent.
    { pointer: /^\/sort$/, message: 'position needs list_id or parent_id' },
    { pointer: /^\/due_(after|before)$/, message: 'must be an RFC 3339 date-time in years 1 to 9999' },
  ],
};

/** Statuses whose cause is state the request could not see, by operation (beyond every operation's 2xx and 304). */
function stateCause(operationId: string, status: number, problem: Problem | undefined): string | undefined {
  const errors = problem?.errors ?? [];
  switch (status) {
    case 404:
      // A task or list id (in the path, an action, or listTasks' list_id and parent_id) that is none
      // of the user's; a reference page never built.
      return operationId === 'getDocs' ||
        operationId === 'listTasks' ||
        byTaskId.has(operationId) ||
        byListId.has(operationId) ||
        byWebhookId.has(operationId) ||
        operationId === 'bulkTasks'
        ? 'missing'
        : undefined;
    case 412:
      return 'stale ETag';
    case 409:
    case 422:
      return 'key in use';
    case 400: {
      if (errors.length === 0) return undefined;
      // A cursor the server did not issue (or issued for another list): opaque, so any text fits the schema.
      if (
        ['listTasks', 'listTrash', 'listWebhookDeliveries'].includes(operationId) &&
        errors.every((issue) => issue.pointer === '/cursor')
      )
        return 'unknown cursor';
      // A changes token the server did not issue (or issued to another user): as opaque as a cursor.
      if (operationId === 'listChanges' && errors.every((issue) => issue.pointer === '/since')) return 'unknown token';
      const worded = WORDED[operationId] ?? [];
      const allWorded = errors.every(
        (issue) =>
          issue.location === (operationId === 'listTasks' ? 'query' : 'body') &&
          worded.some((rule) => rule.pointer.test(issue.pointer) && rule.message === issue.message),
      );
      return allWorded ? 'rule in words' : undefined;
    }
    default:
      return undefined;
  }
}

const BODY_LIMIT_BYTES = 100 * 1024;

interface DrawnRequest {
  readonly query: Query;
  readonly headers: Record<string, string>;
  readonly mediaType: string | undefined;
  readonly body: unknown;
  /** Whether the task id names one of the user's tasks (otherwise a schema-valid id the user does not have). */
  readonly ownTask: boolean;
  readonly taskId: number;
}

function cursorParameter(operation: OperationSchemas): Arbitrary<string | undefined> {
  const cursor = operation.parameters.find((parameter) => parameter.name === 'cursor');
  if (cursor === undefined) return fc.constant(undefined);
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 4 },
    { arbitrary: validValue(cursor.schema, 'text') as Arbitrary<string>, weight: 1 },
  );
}

/** Requests for the operation drawn from its schemas alone; `full`: every member an object may have. */
function drawnRequest(operation: OperationSchemas, full: boolean): Arbitrary<DrawnRequest> {
  const mediaTypes = Object.keys(operation.bodies);
  const body = (mediaType: string) => validValue(operation.bodies[mediaType]!, 'json', full);
  return fc
    .record({
      // A cursor is opaque: one drawn from its schema was never issued (a 400), so it comes now and then only.
      query: fc
        .tuple(
          validValue(parametersSchema(operation, 'query', ['cursor']), 'text', full) as Arbitrary<Query>,
          cursorParameter(operation),
        )
        .map(([query, cursor]) => (cursor === undefined ? query : { ...query, cursor })),
      // Precondition and idempotency headers are left out: drawn ones reset the connection (ECONNRESET)
      // after some dozens of requests in this suite, which no request alone reproduces (see the report
      // of issue 12); test/api covers them. Until that is understood they would only make this flaky.
      // A stream's Last-Event-ID is drawn (its own connection each time): any id, behind or ahead of the history.
      headers: operation.streams
        ? (validValue(parametersSchema(operation, 'header'), 'text', full) as Arbitrary<Record<string, string>>)
        : fc.constant({}),
      mediaType: mediaTypes.length === 0 ? fc.constant(undefined) : fc.constantFrom(...mediaTypes),
      body: fc.constant(undefined),
      ownTask: fc.boolean(),
      taskId: validValue(TASK_ID_SCHEMA, 'json') as Arbitrary<number>,
    })
    .chain((request) =>
      request.mediaType === undefined
        ? fc.constant(request)
        : (operation.bodyRequired || full
            ? body(request.mediaType)
            : fc.option(body(request.mediaType), { nil: undefined })
          ).map((drawn) => ({ ...request, body: drawn })),
    );
}

/** The task id's schema (every operation that takes one shares it). */
const TASK_ID_SCHEMA = parameterSchema(byTaskId.get('getTask')!, 'task_id');

/** The operation's request examples (each media type's `example` and `examples`). */
function requestExamples(operation: OperationSchemas): { mediaType: string; name: string; value: unknown }[] {
  const definition = (
    loadContract().paths[operation.path] as Record<
      string,
      {
        requestBody?: {
          content?: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }>;
        };
      }
    >
  )[operation.method.toLowerCase()]!;
  return Object.entries(definition.requestBody?.content ?? {}).flatMap(([mediaType, media]) => [
    ...(media.example === undefined ? [] : [{ mediaType, name: 'example', value: media.example }]),
    ...Object.entries(media.examples ?? {}).map(([name, example]) => ({ mediaType, name, value: example.value })),
  ]);
}

/** Tallies per operation: cases run, and how they were answered. */
const tallies = new Map<string, Map<string, number>>();
function tally(operationId: string, outcome: string): void {
  const counts = tallies.get(operationId) ?? new Map<string, number>();
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  tallies.set(operationId, counts);
}

/** The task each case on one task starts from: dated, in a zone, so that merge patches meet the due rules. */
const TASK = { due_date: '2030-06-15', time_zone: 'Europe/Berlin', tags: ['home'] };

/** Runs per operation (drawn requests; then as many with every member); the examples come on top. */
const OPERATION_RUNS = 40;

describeEachDatabase('properties: every operation, with requests drawn from the spec alone', (suite) => {
  after(() => {
    const lines = [...tallies].map(([operationId, counts]) => {
      const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
      const outcomes = [...counts].map(([outcome, count]) => `${outcome} ${count}`).join(', ');
      return `    ${operationId}: ${total} cases (${outcomes})`;
    });
    console.log(`  property cases per operation [${suite.kind}]:\n${lines.join('\n')}`);
    tallies.clear();
  });

  /** Sends the request; returns how it was answered, failing on anything but a success or a state-caused error. */
  async function exercise(
    user: TestUser,
    operation: OperationSchemas,
    request: DrawnRequest,
    task: Subject,
  ): Promise<string> {
    const taskId = request.ownTask ? task.id : request.taskId;
    const query = Object.keys(request.query).length === 0 ? '' : `?${queryString(request.query)}`;
    // A stream stays open: it is opened, checked and closed.
    const response = operation.streams
      ? await streamAnswer(user, { query, headers: request.headers })
      : await user.call(operation.method, `${pathOf(operation, user, taskId)}${query}`, {
          headers: request.headers,
          ...(request.body === undefined ? {} : { json: request.body, contentType: request.mediaType }),
        });
    const summary = `${operation.method} ${operation.path} ${JSON.stringify({ ...request, taskId })} -> ${response.status} ${JSON.stringify(response.body)?.slice(0, 2000)}`;
    expect(response.status, summary).to.be.below(500);
    if (response.status < 400) {
      // A bulk request without atomic answers 207: each failed action must be a state-caused one too.
      for (const result of (response.body as { results?: { status: number; problem?: Problem }[] })?.results ?? []) {
        if (result.status >= 400)
          expect(stateCause(operation.operationId, result.status, result.problem), summary).to.be.a('string');
      }
      return String(response.status);
    }
    // The body limit (100 kB, the 413's description) is in bytes, which no schema counts.
    if (response.status === 413 && Buffer.byteLength(JSON.stringify(request.body)) > BODY_LIMIT_BYTES)
      return '413 over 100 kB';
    const cause = stateCause(operation.operationId, response.status, response.body as Problem);
    expect(cause, summary).to.be.a('string');
    return `${response.status} ${cause}`;
  }

  for (const { operationId } of specOperations()) {
    const operation = operationSchemas(operationId);
    it(`${operationId}: every request the spec allows is answered with a success or a state-caused error`, async function () {
      this.timeout(TIME_LIMIT_MS + 20_000);
      const user = suite.newUser();
      // An operation on a list works on lists of the user's own (not the default one, which cannot be
      // deleted); one on a webhook on webhooks of the user's own.
      const onList = byListId.has(operationId);
      const onWebhook = byWebhookId.has(operationId);
      const newSubject = async (): Promise<Subject> =>
        onList ? createList(user) : onWebhook ? createWebhook(user) : user.createTask(TASK);
      const task = await newSubject();
      // A task (list, webhook) of its own for each case on one (a delete leaves the next case one),
      // made beforehand; a run that uses them all up (the webhooks quota allows fewer) goes on with the first.
      const fresh: Subject[] = [];
      const subjects = onWebhook ? WEBHOOK_SUBJECTS : byTaskId.has(operationId) || onList ? OPERATION_RUNS : 0;
      for (let made = 0; made < subjects; made += 1) fresh.push(await newSubject());
      for (const full of [false, true]) {
        await fc.assert(
          fc.asyncProperty(drawnRequest(operation, full), async (request) => {
            tally(operationId, await exercise(user, operation, request, fresh.shift() ?? task));
          }),
          { numRuns: OPERATION_RUNS / 2, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: true },
        );
      }
      const plain = { query: {}, headers: {}, ownTask: true, taskId: task.id };
      for (const example of requestExamples(operation)) {
        tally(operationId, await exercise(user, operation, { ...plain, ...example, body: example.value }, task));
      }
      for (const [mediaType, schema] of Object.entries(operation.bodies)) {
        await exerciseExampleBody(user, operation, mediaType, schema, { ...plain, mediaType }, task);
      }
    });
  }

  /**
   * A body of its members' own examples (the schema's, where it has one). Where these break a rule
   * between members (`due_date` and `due_at` together), the schema says so and the server refuses
   * it at that rule's pointer; the body without the member that breaks it is then answered.
   */
  async function exerciseExampleBody(
    user: TestUser,
    operation: OperationSchemas,
    mediaType: string,
    schema: Schema,
    request: Omit<DrawnRequest, 'body'>,
    task: Subject,
  ): Promise<void> {
    const body = exampleValue(schema, true) as Body | undefined;
    if (body === undefined) return;
    if (!breaksRule(schema, body)) {
      tally(operation.operationId, await exercise(user, operation, { ...request, body }, task));
      return;
    }
    const refused = await user.call(operation.method, pathOf(operation, user, task.id), {
      json: body,
      contentType: mediaType,
    });
    expectRejected(refused, 'body', '');
    tally(operation.operationId, '400 rule in the schema');
    const kept = exampleValue(schema) as Body | undefined;
    expect(kept, `no member of ${JSON.stringify(body)} alone breaks the rule`).not.to.equal(undefined);
    tally(operation.operationId, await exercise(user, operation, { ...request, body: kept }, task));
  }
});
