// What the chaos test's clients were told, and the check of it against what the service holds
// afterwards. A write is *acknowledged* when it got its 2xx, *uncertain* when it got a 503, a 5xx
// or no answer (it may or may not have committed: a connection lost during COMMIT cannot tell),
// *refused* when it got a 412 (nothing was written). The checks, once the database is back:
// - an acknowledged create exists, once, with its key; a create never acknowledged exists at most once;
// - an acknowledged delete left nothing behind;
// - every acknowledged write is what the task shows, unless a later write (acknowledged or
//   uncertain) was sent with its ETag in If-Match, i.e. replaced it knowingly;
// - what the task shows was written by some acknowledged or uncertain write, whole;
// - no two acknowledged writes were based on the same ETag (that would be a lost update).

/** What a client reads of a task: its ETag and the fields the chaos writes change. */
export interface TaskState {
  readonly etag: string;
  readonly title: string;
  readonly completed: boolean;
}

export type Fields = Omit<TaskState, 'etag'>;

export interface WriteAttempt {
  /** The state the client based the write on: its ETag went in If-Match. */
  readonly base: TaskState;
  readonly intended: Fields;
  outcome: 'pending' | 'acknowledged' | 'uncertain' | 'refused';
  result?: TaskState;
}

export class TrackedTask {
  readonly attempts: WriteAttempt[] = [];
  deletion: 'none' | 'acknowledged' | 'uncertain' = 'none';
  /** The state a client last read or was answered (for a shared task, possibly stale). */
  view: TaskState;

  constructor(
    readonly id: number,
    readonly userId: string,
    readonly key: string,
    /** Written by several clients at once (412s expected), never deleted. */
    readonly shared: boolean,
    readonly created: TaskState,
  ) {
    this.view = created;
  }
}

/** The description every create carries, so that the tasks a key produced can be counted exactly. */
export function keyMarker(key: string): string {
  return `idempotency-key:${key}`;
}

/** A task as the list operation shows it after the run. */
export interface ListedTask {
  readonly id: number;
  readonly title: string;
  readonly description: string | null;
}

/** A task as reading it by id shows it after the run. */
export type FinalTask = ListedTask & TaskState;

export interface Verdict {
  readonly violations: string[];
  /** Acknowledged creates, writes and deletes checked against the final state. */
  readonly writesChecked: number;
  /** Tasks beyond the first that one idempotency key produced. */
  readonly duplicates: number;
}

export class Ledger {
  readonly tasks = new Map<number, TrackedTask>();
  /** Every create key sent, by key: its user, and its task once acknowledged. */
  readonly keys = new Map<string, { readonly userId: string; taskId?: number }>();

  keySent(userId: string, key: string): void {
    if (!this.keys.has(key)) this.keys.set(key, { userId });
  }

  createAcknowledged(task: TrackedTask): void {
    this.keys.get(task.key)!.taskId = task.id;
    this.tasks.set(task.id, task);
  }

  /**
   * `final`: every tracked task as read by id afterwards (absent: 404). `listed`: every task of
   * every user, as the list operation shows them afterwards.
   */
  verify(final: ReadonlyMap<number, FinalTask>, listed: readonly ListedTask[]): Verdict {
    const violations: string[] = [];
    let writesChecked = 0;
    for (const task of this.tasks.values()) {
      const now = final.get(task.id);
      const acknowledged = [
        task.created,
        ...task.attempts.flatMap((a) => (a.outcome === 'acknowledged' ? [a.result!] : [])),
      ];
      if (task.deletion === 'acknowledged') {
        writesChecked += 1;
        if (now) violations.push(`task ${task.id}: its delete was acknowledged, yet it is still there`);
        continue;
      }
      if (!now) {
        if (task.deletion === 'none') violations.push(`task ${task.id}: its create was acknowledged, yet it is gone`);
        continue;
      }
      writesChecked += acknowledged.length;
      violations.push(...checkHistory(task, now, acknowledged));
    }

    const byKey = new Map<string, ListedTask[]>();
    for (const item of listed) {
      const key = item.description?.startsWith(keyMarker(''))
        ? item.description.slice(keyMarker('').length)
        : undefined;
      if (key === undefined || !this.keys.has(key)) {
        violations.push(`task ${item.id} ("${item.title}") was created by no request of this run`);
        continue;
      }
      byKey.set(key, [...(byKey.get(key) ?? []), item]);
    }
    let duplicates = 0;
    for (const [key, { taskId }] of this.keys) {
      const found = byKey.get(key) ?? [];
      duplicates += Math.max(0, found.length - 1);
      if (found.length > 1)
        violations.push(`idempotency key ${key} produced ${found.length} tasks: ${found.map((t) => t.id).join(', ')}`);
      const tracked = taskId === undefined ? undefined : this.tasks.get(taskId);
      if (tracked && final.has(tracked.id) && !found.some((item) => item.id === tracked.id))
        violations.push(`task ${tracked.id} is readable by id but missing from its user's list`);
    }
    return { violations, writesChecked, duplicates };
  }
}

function checkHistory(task: TrackedTask, now: FinalTask, acknowledged: readonly TaskState[]): string[] {
  const violations: string[] = [];
  const where = `task ${task.id}`;
  if (now.description !== keyMarker(task.key))
    violations.push(`${where}: description ${JSON.stringify(now.description)}, not its create's key marker`);
  const sent = task.attempts.filter((a) => a.outcome === 'acknowledged' || a.outcome === 'uncertain');
  const replaced = new Set(sent.map((a) => a.base.etag));
  for (const write of acknowledged) {
    if (write.etag !== now.etag && !replaced.has(write.etag))
      violations.push(
        `${where}: the acknowledged ${describe(write)} is lost (no later write was based on it); it shows ${describe(now)}`,
      );
  }
  const acknowledgedNow = acknowledged.find((write) => write.etag === now.etag);
  if (acknowledgedNow ? !sameFields(acknowledgedNow, now) : !sent.some((a) => sameFields(a.intended, now)))
    violations.push(`${where} shows ${describe(now)}, which no write of this run produced`);
  const bases = task.attempts.filter((a) => a.outcome === 'acknowledged').map((a) => a.base.etag);
  for (const etag of new Set(bases.filter((etag, index) => bases.indexOf(etag) !== index)))
    violations.push(`${where}: several acknowledged writes were based on the same ETag ${etag} (a lost update)`);
  return violations;
}

export function sameFields(a: Fields, b: Fields): boolean {
  return a.title === b.title && a.completed === b.completed;
}

function describe(state: Fields): string {
  return `state (title "${state.title}", completed ${state.completed})`;
}
