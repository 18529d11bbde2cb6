import { randomUUID } from 'node:crypto';
import {
  keyMarker,
  sameFields,
  TrackedTask,
  type Fields,
  type Ledger,
  type TaskState,
  type WriteAttempt,
} from './chaos-ledger.js';
import { isUnavailable, waitBeforeRetry, type Exchange, type SendOptions, type Traffic } from './chaos-traffic.js';

// One client of the chaos test: a closed loop of list, get, create (with an Idempotency-Key,
// retried with the same key), rename and complete (with If-Match) and delete, one at a time, on
// tasks of its own (only it writes them, so what it reads must be what it was last answered) and
// on its user's shared tasks (every client of the user writes them, so 412s are expected).
//
// Which answers are legitimate; anything else is a violation:
// - the operation's own 2xx;
// - 503 with a Retry-After in seconds and a problem document: the database is unavailable;
// - 404 to a DELETE retried after an attempt that got no 2xx: that attempt may have committed;
// - 409 to a create retried after an attempt that got no answer: that attempt may still be running;
// - 412 to a write to a shared task: another client may have written it since this one read it.
// So a 500, a 503 without Retry-After, no answer, a 404 for a task the client has not deleted, a
// 412 on a task only this client writes, and a 409 when every earlier attempt was answered (the
// key was left claimed) are all violations.

/** How long an operation keeps retrying while the database is up (it retries for as long as it is down). */
export const RETRY_BUDGET_MS = 10_000;
/** The share of acknowledged creates sent once more with the same key: the replay must name the same task. */
const REPLAY_SHARE = 0.1;
const MERGE_PATCH = 'application/merge-patch+json';

type Excuse = 404 | 409 | 412;

/** Whether an operation may retry: always while the database is down, for RETRY_BUDGET_MS once it is up. */
export class RetryBudget {
  private upSince: number | undefined = performance.now();
  /** Set when the test abandons the run: nothing retries any more. */
  halted = false;

  databaseDown(): void {
    this.upSince = undefined;
  }

  databaseUp(): void {
    this.upSince = performance.now();
  }

  allows(operationStarted: number): boolean {
    if (this.halted) return false;
    return this.upSince === undefined || performance.now() - Math.max(this.upSince, operationStarted) < RETRY_BUDGET_MS;
  }
}

export interface ChaosUser {
  readonly id: string;
  readonly token: string;
  /** The tasks every client of this user writes. */
  readonly shared: readonly TrackedTask[];
}

export class ChaosClient {
  /** Failures that are no single answer's: an operation that never succeeded, a read that contradicts a write. */
  readonly violations: string[] = [];
  /** Creates that took more than one attempt, and writes whose outcome had to be read back: how much the chaos hit. */
  readonly retried = { creates: 0, writesReadBack: 0 };
  private readonly own: TrackedTask[] = [];
  private titles = 0;

  constructor(
    private readonly name: string,
    private readonly user: ChaosUser,
    private readonly traffic: Traffic,
    private readonly ledger: Ledger,
    private readonly budget: RetryBudget,
  ) {}

  /** Runs one operation after the other until `stopping()`; the one under way finishes, retries included. */
  async run(stopping: () => boolean): Promise<void> {
    while (!stopping()) await this.step();
  }

  private step(): Promise<unknown> {
    const roll = Math.random();
    const own = pickOne(this.own);
    if (own === undefined || roll < 0.2) return this.create();
    if (roll < 0.35) return this.list();
    if (roll < 0.5) return this.read(own);
    if (roll < 0.65) return this.write(own, { ...own.view, title: this.nextTitle() });
    if (roll < 0.75) return this.write(own, { ...own.view, completed: !own.view.completed });
    if (roll < 0.8) return this.remove(own);
    const shared = pickOne(this.user.shared)!;
    const fields: Fields =
      roll < 0.9 ? { ...shared.view, title: this.nextTitle() } : { ...shared.view, completed: !shared.view.completed };
    return this.write(shared, fields);
  }

  /** Created with a key of its own, retried with that key until acknowledged. */
  async create(shared = false): Promise<TrackedTask | undefined> {
    const key = randomUUID();
    const body = { title: this.nextTitle(), description: keyMarker(key) };
    const options = { json: body, headers: { 'idempotency-key': key } };
    this.ledger.keySent(this.user.id, key);
    const started = performance.now();
    let unanswered = false;
    for (let attempts = 1; ; attempts += 1) {
      const exchange = await this.send('createTask', 'POST', this.tasksPath, options, 201, unanswered ? [409] : []);
      if (exchange.status === 201) {
        const task = new TrackedTask(taskId(exchange), this.user.id, key, shared, this.stateOf(exchange));
        this.ledger.createAcknowledged(task);
        if (!shared) this.own.push(task);
        if (Math.random() < REPLAY_SHARE) await this.replay(task, options);
        return task;
      }
      if (attempts === 1) this.retried.creates += 1;
      unanswered ||= exchange.status === undefined;
      // A refusal the request itself explains (400, 422, a 409 with every earlier attempt answered) stays one.
      if (exchange.status !== undefined && exchange.status < 500 && exchange.violation) return undefined;
      if (!this.budget.allows(started)) {
        this.violations.push(`create with key ${key}: not acknowledged after ${attempts} attempts`);
        return undefined;
      }
      await waitBeforeRetry(exchange);
    }
  }

  /** The same request under the same key once more: the stored answer, the same task. */
  private async replay(task: TrackedTask, options: SendOptions): Promise<void> {
    const exchange = await this.send('createTask (replay)', 'POST', this.tasksPath, options, 201);
    if (exchange.status === 201 && taskId(exchange) !== task.id)
      this.violations.push(`create with key ${task.key} replayed as task ${taskId(exchange)}, not ${task.id}`);
  }

  private async list(): Promise<void> {
    const exchange = await this.send('listTasks', 'GET', `${this.tasksPath}?limit=20`, {}, 200);
    if (exchange.status !== 200) await waitBeforeRetry(exchange);
  }

  /** A task of its own reads exactly as this client's last acknowledged write left it. */
  private async read(task: TrackedTask): Promise<void> {
    const exchange = await this.send('getTask', 'GET', this.taskPath(task), {}, 200);
    if (exchange.status !== 200) return waitBeforeRetry(exchange);
    const state = this.stateOf(exchange);
    if (state.etag !== task.view.etag)
      this.violations.push(
        `task ${task.id}: read ${describe(state)} after this client's last write was answered with ${describe(task.view)}`,
      );
    task.view = state;
  }

  /** A rename (merge patch) or a completion change, under If-Match; an uncertain outcome is read back. */
  private async write(task: TrackedTask, intended: Fields): Promise<void> {
    const base = task.view;
    const attempt: WriteAttempt = { base, intended, outcome: 'pending' };
    task.attempts.push(attempt);
    const renaming = intended.title !== base.title;
    const exchange = await this.send(
      renaming ? 'updateTask' : 'completeTask',
      'PATCH',
      renaming ? this.taskPath(task) : `${this.taskPath(task)}/complete`,
      {
        json: renaming ? { title: intended.title } : { completed: intended.completed },
        contentType: renaming ? MERGE_PATCH : 'application/json',
        headers: { 'if-match': base.etag },
      },
      200,
      task.shared ? [412] : [],
    );
    if (exchange.status === 200) {
      attempt.outcome = 'acknowledged';
      attempt.result = task.view = this.stateOf(exchange);
      if (!sameFields(attempt.result, intended))
        this.violations.push(`task ${task.id}: write of ${describe(intended)} answered ${describe(attempt.result)}`);
      return;
    }
    // A 4xx wrote nothing; a 503, a 5xx or no answer may have committed or not.
    const refused = exchange.status !== undefined && exchange.status < 500;
    attempt.outcome = refused ? 'refused' : 'uncertain';
    if (!refused) this.retried.writesReadBack += 1;
    const now = await this.refresh(task);
    if (
      now &&
      !task.shared &&
      now.etag !== base.etag &&
      !(attempt.outcome === 'uncertain' && sameFields(now, intended))
    )
      this.violations.push(
        `task ${task.id}: after a ${exchange.status ?? 'lost'} answer to writing ${describe(intended)} over ${describe(base)}, it reads ${describe(now)}`,
      );
  }

  /** Reads the task again (retried): its view, or undefined (and the client lets the task be) when no read succeeds. */
  private async refresh(task: TrackedTask): Promise<TaskState | undefined> {
    const started = performance.now();
    for (;;) {
      const exchange = await this.send('getTask (read back)', 'GET', this.taskPath(task), {}, 200);
      if (exchange.status === 200) return (task.view = this.stateOf(exchange));
      if (exchange.status === 404 || !this.budget.allows(started)) {
        if (exchange.status !== 404) this.violations.push(`task ${task.id}: no read succeeded within the retry budget`);
        this.forget(task);
        return undefined;
      }
      await waitBeforeRetry(exchange);
    }
  }

  /** DELETE under If-Match, retried until it is known to have happened: a 204, or a 404 after an uncertain attempt. */
  private async remove(task: TrackedTask): Promise<void> {
    this.forget(task);
    const started = performance.now();
    for (;;) {
      const uncertain = task.deletion === 'uncertain';
      const exchange = await this.send(
        'deleteTask',
        'DELETE',
        this.taskPath(task),
        { headers: { 'if-match': task.view.etag } },
        204,
        uncertain ? [404] : [],
      );
      if (exchange.status === 204 || (exchange.status === 404 && uncertain)) {
        task.deletion = 'acknowledged';
        return;
      }
      if (exchange.status !== undefined && exchange.status < 500) return; // refused: nothing deleted
      task.deletion = 'uncertain';
      if (!this.budget.allows(started)) {
        this.violations.push(`task ${task.id}: delete not acknowledged within the retry budget`);
        return;
      }
      await waitBeforeRetry(exchange);
    }
  }

  private forget(task: TrackedTask): void {
    const index = this.own.indexOf(task);
    if (index >= 0) this.own.splice(index, 1);
  }

  /** Sends and judges the answer against the rules above (the exchange's `violation` says why not). */
  private async send(
    label: string,
    method: string,
    path: string,
    options: SendOptions,
    expected: number,
    excused: readonly Excuse[] = [],
  ): Promise<Exchange> {
    const exchange = await this.traffic.send(this.user.token, label, method, path, options);
    const { status } = exchange;
    if (status === expected || isUnavailable(exchange) || excused.includes(status as Excuse)) return exchange;
    exchange.violation =
      status === undefined
        ? `no answer (${exchange.error})`
        : status === 503
          ? '503 without Retry-After or not a problem document'
          : `unexpected ${status}`;
    return exchange;
  }

  private stateOf(exchange: Exchange): TaskState {
    const body = exchange.body as { title: string; completed: boolean };
    if (!exchange.etag) this.violations.push(`${exchange.label} ${exchange.path}: a ${exchange.status} without ETag`);
    return { etag: exchange.etag ?? '', title: body.title, completed: body.completed };
  }

  private nextTitle(): string {
    this.titles += 1;
    return `${this.name} write ${this.titles}`;
  }

  private get tasksPath(): string {
    return `/api/${encodeURIComponent(this.user.id)}/tasks`;
  }

  private taskPath(task: TrackedTask): string {
    return `${this.tasksPath}/${task.id}`;
  }
}

function taskId(exchange: Exchange): number {
  return (exchange.body as { id: number }).id;
}

function pickOne<T>(items: readonly T[]): T | undefined {
  return items[Math.floor(Math.random() * items.length)];
}

function describe(state: Fields): string {
  return `(title "${state.title}", completed ${state.completed})`;
}
