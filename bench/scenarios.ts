/** What each scenario sends, shared by the orchestrator (which seeds for it) and the load worker. */

/** A seeded user: its token and the ids of the tasks created for it. */
export interface BenchUser {
  readonly id: string;
  readonly token: string;
  readonly taskIds: readonly number[];
}

/** The data the scenarios run against, seeded through the API before the first scenario. */
export interface Fixture {
  /** One user with LIST_USER_TASKS tasks: list and get read it. */
  readonly listUser: BenchUser;
  /** The user the create scenario writes to, so that the lists read elsewhere keep their length. */
  readonly writer: BenchUser;
  /** MANY_USERS users with USER_TASKS tasks each: mixed, replace, complete and the 1000-user scenarios. */
  readonly users: readonly BenchUser[];
  /** The noisy neighbour, with NEIGHBOUR_TASKS tasks seeded in SQL: only when that scenario runs. */
  readonly neighbour?: BenchUser;
}

export const LIST_USER_TASKS = 100;
export const MANY_USERS = 1000;
export const USER_TASKS = 5;

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export type ScenarioName =
  | 'health'
  | 'list'
  | 'get'
  | 'create'
  | 'replace'
  | 'complete'
  | 'unauthenticated'
  | 'mixed'
  | '1000 users'
  | OpenLoopName
  | 'noisy neighbour: reader alone'
  | 'noisy neighbour: reader with neighbour'
  | 'noisy neighbour: the neighbour';

/** The open loops of the mixed requests, at a share of the mixed scenario's req/s. */
type OpenLoopName = 'open loop 80 %' | 'open loop 120 %';

export interface Scenario {
  readonly name: ScenarioName;
  readonly description: string;
  readonly connections: number;
  /** closed: each connection sends its next request when the last is answered (autocannon); open: sends on a fixed schedule. */
  readonly mode: 'closed' | 'open';
  /** Statuses that count as success; anything else is an error. */
  readonly expected: readonly number[];
  /** Whether the reference servers (floor-server.ts, express-floor-server.ts) answer it too: they implement /health, list, get and create only. */
  readonly onFloor: boolean;
  /** Whether it is measured again on our server with the rate limits off and LOG_LEVEL=warn, to price those defaults. */
  readonly defaultsOff?: boolean;
  /** The open-loop scenarios of the mixed requests: the share of the mixed scenario's req/s (measured just before, in the same run) they offer. */
  readonly offeredShareOfMixed?: number;
}

export const CLOSED_CONNECTIONS = 64;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'health',
    description: 'GET /health (no database, no token)',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [200],
    onFloor: true,
    defaultsOff: true,
  },
  {
    name: 'list',
    description: 'GET a list of 100 tasks (one user)',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [200],
    onFloor: true,
    defaultsOff: true,
  },
  {
    name: 'get',
    description: 'GET one of those 100 tasks',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [200],
    onFloor: true,
    defaultsOff: true,
  },
  {
    name: 'create',
    description: 'POST a task',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [201],
    onFloor: true,
    defaultsOff: true,
  },
  {
    name: 'replace',
    description: 'PUT a task (1000 users, 5 tasks each)',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [200],
    onFloor: false,
  },
  {
    name: 'complete',
    description: 'PATCH …/complete, toggling (1000 users)',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [200],
    onFloor: false,
  },
  {
    name: 'unauthenticated',
    description: 'GET a list without a token: 401',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [401],
    onFloor: true,
    defaultsOff: true,
  },
  {
    name: 'mixed',
    description: '60 % reads (list 20, get 40), 40 % writes (create 10, replace 15, complete 15), 1000 users',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [200, 201],
    onFloor: false,
  },
  {
    name: '1000 users',
    description: 'the mixed requests from 1000 users over 1000 connections',
    connections: MANY_USERS,
    mode: 'closed',
    expected: [200, 201],
    onFloor: false,
  },
  {
    name: 'open loop 80 %',
    description:
      '1000 users, each with its own connection, sending the mixed requests on a fixed schedule: 80 % of the mixed req/s in all',
    connections: MANY_USERS,
    mode: 'open',
    expected: [200, 201],
    onFloor: false,
    offeredShareOfMixed: 0.8,
  },
  {
    name: 'open loop 120 %',
    description:
      'the same at 120 % of the mixed req/s: the excess is to be refused at once (503 with `Retry-After`, expected here)',
    connections: MANY_USERS,
    mode: 'open',
    expected: [200, 201, 503],
    onFloor: false,
    offeredShareOfMixed: 1.2,
  },
];

/** The closed-loop scenario whose req/s sets the open loops' rate; it runs before them (bench/run.ts). */
export const CAPACITY_SCENARIO: ScenarioName = 'mixed';

/** BENCH_SCENARIOS selects the noisy-neighbour measurements, all three, by this name. */
export const NOISY_NEIGHBOUR_NAME = 'noisy neighbour';
/** The neighbour's tasks: as many as made its relevance search take about a second (issue 13). */
export const NEIGHBOUR_TASKS = 50_000;
/** The reader's pace: requests per second, on a fixed schedule. */
export const READER_RATE = 10;
/** The neighbour's connections, each sending its next request as soon as the last is answered. */
export const NEIGHBOUR_CONNECTIONS = 16;
/** Actions per bulk request of the neighbour: the most a bulk request takes. */
export const NEIGHBOUR_BULK_ACTIONS = 100;

/**
 * One user reads its tasks alone, then again while another user runs the most expensive requests
 * it can (relevance searches over NEIGHBOUR_TASKS tasks and 100-action bulk updates) as fast as
 * its limits let it: the server runs with the default per-user limits and in-flight limit.
 */
export const NOISY_NEIGHBOUR = {
  alone: {
    name: 'noisy neighbour: reader alone',
    description: `GET one of its tasks, ${READER_RATE} requests/s on a fixed schedule, no one else`,
    connections: 1,
    mode: 'open',
    expected: [200],
    onFloor: false,
  },
  reader: {
    name: 'noisy neighbour: reader with neighbour',
    description: `the same reader while the neighbour runs`,
    connections: 1,
    mode: 'open',
    expected: [200],
    onFloor: false,
  },
  neighbour: {
    name: 'noisy neighbour: the neighbour',
    description: `another user with ${NEIGHBOUR_TASKS} tasks: \`?q=plan&limit=1\` relevance searches and ${NEIGHBOUR_BULK_ACTIONS}-action bulk updates in turn, as fast as answered, waiting the \`Retry-After\` of each 429 (its limits working)`,
    connections: NEIGHBOUR_CONNECTIONS,
    mode: 'closed',
    expected: [200, 207, 429],
    onFloor: false,
  },
} as const satisfies Record<string, Scenario>;

const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const tasksOf = (user: BenchUser) => `/api/${encodeURIComponent(user.id)}/tasks`;

/** One request of the mixed profile from `user`. */
export function mixedRequest(user: BenchUser): HttpRequest {
  const roll = Math.random() * 100;
  if (roll < 20) return { method: 'GET', path: tasksOf(user), headers: json(user.token) };
  if (roll < 60) return getRequest(user);
  if (roll < 70) return createRequest(user);
  if (roll < 85) return replaceRequest(user);
  return completeRequest(user);
}

function getRequest(user: BenchUser): HttpRequest {
  return { method: 'GET', path: `${tasksOf(user)}/${pick(user.taskIds)}`, headers: json(user.token) };
}

/** The neighbour's requests: a relevance search and a bulk update of NEIGHBOUR_BULK_ACTIONS tasks, in turn. */
function neighbourSource(neighbour: BenchUser): () => HttpRequest {
  let turn = 0;
  return () => {
    if (turn++ % 2 === 0)
      return { method: 'GET', path: `${tasksOf(neighbour)}?q=plan&limit=1`, headers: json(neighbour.token) };
    const actions = Array.from({ length: NEIGHBOUR_BULK_ACTIONS }, () => ({
      op: 'update',
      id: pick(neighbour.taskIds),
      patch: { title: `Plan ${Math.random().toString(36).slice(2, 10)}` },
    }));
    return {
      method: 'POST',
      path: `${tasksOf(neighbour)}/bulk`,
      headers: json(neighbour.token),
      body: JSON.stringify({ actions }),
    };
  };
}

function createRequest(user: BenchUser): HttpRequest {
  return {
    method: 'POST',
    path: tasksOf(user),
    headers: json(user.token),
    body: JSON.stringify({ title: 'Benchmark task', description: 'created under load' }),
  };
}

function replaceRequest(user: BenchUser): HttpRequest {
  // A new title each time: a write that changes nothing is cheaper than a real one.
  const body = JSON.stringify({
    title: `Replaced ${Math.random().toString(36).slice(2, 10)}`,
    description: null,
    completed: false,
  });
  return { method: 'PUT', path: `${tasksOf(user)}/${pick(user.taskIds)}`, headers: json(user.token), body };
}

function completeRequest(user: BenchUser): HttpRequest {
  return {
    method: 'PATCH',
    path: `${tasksOf(user)}/${pick(user.taskIds)}/complete`,
    headers: { authorization: `Bearer ${user.token}` },
  };
}

/**
 * The scenario's request source. Users are taken in turn, so that every one of the 1000 sends at
 * the same rate. (A closed-loop autocannon connection cannot keep one user: autocannon resets its
 * per-connection context after every request. The server has no connection affinity, so what it
 * sees is the same: 1000 distinct users and tokens over 1000 connections.)
 */
export function requestSource(name: ClosedScenarioName, fixture: Fixture): () => HttpRequest {
  let turn = 0;
  const nextUser = () => fixture.users[turn++ % fixture.users.length]!;
  const { listUser, writer } = fixture;
  switch (name) {
    case 'health':
      return () => ({ method: 'GET', path: '/health', headers: {} });
    case 'list':
      return () => ({ method: 'GET', path: `${tasksOf(listUser)}?limit=100`, headers: json(listUser.token) });
    case 'get':
      return () => getRequest(listUser);
    case 'create':
      return () => createRequest(writer);
    case 'replace':
      return () => replaceRequest(nextUser());
    case 'complete':
      return () => completeRequest(nextUser());
    case 'unauthenticated':
      return () => ({ method: 'GET', path: tasksOf(listUser), headers: {} });
    case 'mixed':
    case '1000 users':
      return () => mixedRequest(nextUser());
    case NOISY_NEIGHBOUR.neighbour.name:
      if (!fixture.neighbour) throw new Error('the fixture has no neighbour: the noisy-neighbour scenario seeds it');
      return neighbourSource(fixture.neighbour);
  }
}

/** The reader of the noisy-neighbour scenario: GET one of the list user's tasks. */
export const readerRequest = getRequest;

/** The scenarios whose requests come from `requestSource` (the open-loop ones have their own schedule). */
export type ClosedScenarioName = Exclude<
  ScenarioName,
  OpenLoopName | typeof NOISY_NEIGHBOUR.alone.name | typeof NOISY_NEIGHBOUR.reader.name
>;

/** Whether a scenario is an open loop of the mixed requests (its rate a share of mixed's). */
export function isMixedOpenLoop(name: ScenarioName): name is OpenLoopName {
  return name === 'open loop 80 %' || name === 'open loop 120 %';
}
