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
  'list' | 'get' | 'create' | 'replace' | 'complete' | 'unauthenticated' | 'mixed' | '1000 users' | 'open loop';

export interface Scenario {
  readonly name: ScenarioName;
  readonly description: string;
  readonly connections: number;
  /** closed: each connection sends its next request when the last is answered (autocannon); open: sends on a fixed schedule. */
  readonly mode: 'closed' | 'open';
  /** Statuses that count as success; anything else is an error. */
  readonly expected: readonly number[];
  /** Whether the floor server answers it too (it implements list, get and create only). */
  readonly onFloor: boolean;
}

export const CLOSED_CONNECTIONS = 64;
/** The open-loop scenario: every user sends one request per second, at its own phase. */
export const OPEN_LOOP_RATE_PER_USER = 1;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'list',
    description: 'GET a list of 100 tasks (one user)',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [200],
    onFloor: true,
  },
  {
    name: 'get',
    description: 'GET one of those 100 tasks',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [200],
    onFloor: true,
  },
  {
    name: 'create',
    description: 'POST a task',
    connections: CLOSED_CONNECTIONS,
    mode: 'closed',
    expected: [201],
    onFloor: true,
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
    onFloor: false,
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
    name: 'open loop',
    description: '1000 users, each with its own connection, one mixed request per second each',
    connections: MANY_USERS,
    mode: 'open',
    expected: [200, 201],
    onFloor: false,
  },
];

const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const tasksOf = (user: BenchUser) => `/api/${encodeURIComponent(user.id)}/tasks`;

/** One request of the mixed profile from `user`. */
export function mixedRequest(user: BenchUser): HttpRequest {
  const roll = Math.random() * 100;
  if (roll < 20) return { method: 'GET', path: tasksOf(user), headers: json(user.token) };
  if (roll < 60) return { method: 'GET', path: `${tasksOf(user)}/${pick(user.taskIds)}`, headers: json(user.token) };
  if (roll < 70) return createRequest(user);
  if (roll < 85) return replaceRequest(user);
  return completeRequest(user);
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
export function requestSource(name: Exclude<ScenarioName, 'open loop'>, fixture: Fixture): () => HttpRequest {
  let turn = 0;
  const nextUser = () => fixture.users[turn++ % fixture.users.length]!;
  const { listUser, writer } = fixture;
  switch (name) {
    case 'list':
      return () => ({ method: 'GET', path: `${tasksOf(listUser)}?limit=100`, headers: json(listUser.token) });
    case 'get':
      return () => ({
        method: 'GET',
        path: `${tasksOf(listUser)}/${pick(listUser.taskIds)}`,
        headers: json(listUser.token),
      });
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
  }
}
