import { expect } from 'chai';
import {
  ChangesApi,
  EventsApi,
  ListsApi,
  ResponseError,
  TrashApi,
  type Change,
  type ChangePage,
  type Event,
  type List,
  type Task,
} from '../../generated/sdk/dist/index.js';
import { tokenFor } from '../helpers/tokens.js';
import { streamsStarted } from '../helpers/event-stream.js';
import { pollUntil } from '../helpers/wait.js';
import { describeSdk, type SdkSuite } from './sdk-suite.js';

/** JSON with every object's keys sorted: two copies compare byte for byte. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, each: unknown) =>
    each !== null && typeof each === 'object' && !Array.isArray(each)
      ? Object.fromEntries(Object.entries(each).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : each,
  );
}

const byId = <T extends { id: number }>(items: Iterable<T>): T[] => [...items].sort((a, b) => a.id - b.id);

/** A small seeded generator (mulberry32): the same workload on every run, any run reproducible. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A client of one user with every API the workload uses. */
function client(suite: SdkSuite) {
  const user = suite.newUser();
  const configuration = suite.configuration({ accessToken: () => tokenFor(user.id) });
  return {
    ...user,
    lists: new ListsApi(configuration),
    trash: new TrashApi(configuration),
    feed: new ChangesApi(configuration),
    events: new EventsApi(configuration),
  };
}
type Client = ReturnType<typeof client>;

/** An offline client's copy, kept only through the changes feed. */
class OfflineCopy {
  readonly tasks = new Map<number, Task>();
  readonly lists = new Map<number, List>();
  private token: string | undefined;
  changesApplied = 0;
  pages = 0;

  constructor(
    private readonly feed: ChangesApi,
    private readonly userId: string,
  ) {}

  /** Reads every page since its last token (a snapshot the first time) and applies it. */
  async sync(limit: number): Promise<void> {
    let page: ChangePage;
    do {
      page = await this.feed.listChanges({ userId: this.userId, since: this.token, limit });
      for (const change of page.changes) this.apply(change);
      this.token = page.next_token;
      this.pages += 1;
    } while (page.has_more);
  }

  private apply(change: Change): void {
    const held: Map<number, Task | List> = change.entity === 'task' ? this.tasks : this.lists;
    if (change.change === 'upserted') held.set(change.id, (change.task ?? change.list)!);
    else held.delete(change.id);
    this.changesApplied += 1;
  }

  serialized(): string {
    return canonical({ lists: byId(this.lists.values()), tasks: byId(this.tasks.values()) });
  }
}

/**
 * A copy kept only through the live event stream, followed from before the user's first write.
 * Each event carries its object as the change left it; a task in the trash is out of the copy
 * until it is restored, whatever else happens to it there (its list deleted moves it).
 */
class LiveCopy {
  readonly tasks = new Map<number, Task>();
  readonly lists = new Map<number, List>();
  private readonly inTrash = new Set<number>();
  eventsApplied = 0;

  apply({ type, data: { task, list } }: Event): void {
    this.eventsApplied += 1;
    if (list) {
      if (type === 'list.deleted') this.lists.delete(list.id);
      else this.lists.set(list.id, list);
    }
    if (!task) return;
    if (type === 'task.trashed') this.inTrash.add(task.id);
    if (type === 'task.restored' || type === 'task.deleted') this.inTrash.delete(task.id);
    if (type === 'task.deleted' || this.inTrash.has(task.id)) this.tasks.delete(task.id);
    else this.tasks.set(task.id, task);
  }

  serialized(): string {
    return canonical({ lists: byId(this.lists.values()), tasks: byId(this.tasks.values()) });
  }
}

/** Every page of listTasks (every list, every level), and every list, as a newly signed-in client reads them. */
async function freshRead(user: Client): Promise<string> {
  const tasks: Task[] = [];
  let cursor: string | undefined;
  do {
    const page = await user.tasks.listTasks({ userId: user.id, limit: 7, cursor });
    tasks.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  const { items: lists } = await user.lists.listLists({ userId: user.id });
  return canonical({ lists: byId(lists), tasks: byId(tasks) });
}

/** Runs a write the rules may refuse (a move into its own subtree, a list's cap...): a 409 is an answer too. */
async function refusable(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ResponseError && error.response.status === 409) return false;
    throw error;
  }
}

const OPERATIONS = 160;

describeSdk(
  'SDK: an offline copy kept in sync through the changes feed, and a live one through the event stream',
  (suite) => {
    // The live copy's stream, stopped after the test whatever its outcome: it would reconnect for ever.
    const following = new AbortController();
    after(() => following.abort());

    it("equal a fresh full read after another client's creates, edits, moves, nesting, trash, restores and purges", async function () {
      // About 170 requests and two full reads: 15 s on an idle machine, more on a busy one.
      this.timeout(120_000);
      const random = seeded(16);
      const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
      const writer = client(suite);
      const copy = new OfflineCopy(writer.feed, writer.id);
      const liveCopy = new LiveCopy();
      const started = await streamsStarted(suite.baseUrl());
      const followed = (async () => {
        for await (const event of writer.events.streamEvents({ userId: writer.id }, { signal: following.signal }))
          liveCopy.apply(event);
      })().catch((error: unknown) => {
        if (!following.signal.aborted) throw error;
      });
      // Open before the first write: a stream goes on from the latest event when it connects.
      await pollUntil(async () => (await streamsStarted(suite.baseUrl())) > started, 'the live copy to follow');
      const counts: Record<string, number> = {};
      // A step answers whether it was done (false: refused with a 409), or null with nothing to act on.
      const count = (kind: string, done: boolean | null) => {
        if (done === null) return;
        const key = done ? kind : `${kind} refused`;
        counts[key] = (counts[key] ?? 0) + 1;
      };

      const live = async () => {
        const tasks: Task[] = [];
        let cursor: string | undefined;
        do {
          const page = await writer.tasks.listTasks({ userId: writer.id, limit: 100, cursor });
          tasks.push(...page.items);
          cursor = page.next_cursor ?? undefined;
        } while (cursor !== undefined);
        return tasks;
      };
      const lists = async () => (await writer.lists.listLists({ userId: writer.id })).items;
      const trashed = async () => (await writer.trash.listTrash({ userId: writer.id, limit: 100 })).items;

      const steps: Record<string, () => Promise<boolean | null>> = {
        create: async () => {
          const parent = random() < 0.4 ? pick(await live()) : undefined;
          const list = parent ? undefined : pick(await lists());
          return refusable(() =>
            writer.tasks.createTask({
              userId: writer.id,
              taskCreate: {
                title: `Task ${random().toString(36).slice(2, 7)}`,
                parent_id: parent?.id,
                list_id: list?.id,
              },
            }),
          );
        },
        edit: async () => {
          const task = pick(await live());
          if (!task) return null;
          await writer.tasks.updateTask({ userId: writer.id, taskId: task.id, taskPatch: { title: `${task.title}'` } });
          return true;
        },
        complete: async () => {
          const task = pick(await live());
          if (!task) return null;
          await writer.tasks.completeTask({ userId: writer.id, taskId: task.id });
          return true;
        },
        move: async () => {
          const tasks = await live();
          const task = pick(tasks);
          if (!task) return null;
          const roll = random();
          const taskMove =
            roll < 0.35
              ? { after_id: pick(tasks)?.id }
              : roll < 0.6
                ? { before_id: pick(tasks)?.id }
                : roll < 0.8
                  ? { parent_id: pick(tasks)?.id ?? null }
                  : { list_id: pick(await lists())?.id, parent_id: null };
          return refusable(() => writer.tasks.moveTask({ userId: writer.id, taskId: task.id, taskMove }));
        },
        trash: async () => {
          const task = pick(await live());
          if (!task) return null;
          await writer.tasks.deleteTask({ userId: writer.id, taskId: task.id });
          return true;
        },
        restore: async () => {
          const item = pick(await trashed());
          return item ? refusable(() => writer.trash.restoreTask({ userId: writer.id, taskId: item.task.id })) : null;
        },
        purge: async () => {
          const item = pick(await trashed());
          if (!item) return null;
          await writer.trash.purgeTask({ userId: writer.id, taskId: item.task.id });
          return true;
        },
        'create list': async () =>
          refusable(() =>
            writer.lists.createList({
              userId: writer.id,
              listCreate: { name: `List ${random().toString(36).slice(2, 7)}` },
            }),
          ),
        'rename list': async () => {
          const list = pick(await lists());
          if (!list) return null;
          return refusable(() =>
            writer.lists.updateList({ userId: writer.id, listId: list.id, listPatch: { name: `${list.name}'` } }),
          );
        },
        'delete list': async () => {
          const list = pick((await lists()).filter((each) => !each.is_default));
          if (!list) return null;
          await writer.lists.deleteList({ userId: writer.id, listId: list.id });
          return true;
        },
      };
      // How often each step comes: mostly tasks, now and then a list.
      const weights: [string, number][] = [
        ['create', 30],
        ['edit', 12],
        ['complete', 8],
        ['move', 20],
        ['trash', 10],
        ['restore', 7],
        ['purge', 5],
        ['create list', 4],
        ['rename list', 2],
        ['delete list', 2],
      ];
      const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
      const nextStep = () => {
        let roll = random() * total;
        for (const [name, weight] of weights) if ((roll -= weight) < 0) return name;
        return 'create';
      };

      for (let done = 0; done < OPERATIONS; done++) {
        const name = nextStep();
        count(name, await steps[name]!());
        // The copy catches up now and then, in pages of every size.
        if (random() < 0.15) await copy.sync(1 + Math.floor(random() * 9));
      }
      await writer.trash.emptyTrash({ userId: writer.id });
      count('empty trash', true);
      await copy.sync(50);

      expect(copy.tasks.size).to.be.above(10);
      expect(copy.serialized()).to.equal(await freshRead(writer));
      // The live copy has had every event once it has one written after all of them: a marker.
      const [inbox] = await lists();
      const marker = `Synced ${random().toString(36).slice(2, 7)}`;
      await writer.lists.updateList({ userId: writer.id, listId: inbox!.id, listPatch: { name: marker } });
      await pollUntil(() => liveCopy.lists.get(inbox!.id)?.name === marker, 'the live copy to get the marker');
      following.abort();
      await followed;
      expect(liveCopy.serialized()).to.equal(await freshRead(writer));
      console.log(
        `      the offline copy: ${copy.changesApplied} changes applied over ${copy.pages} pages, the live copy ${liveCopy.eventsApplied} events, each equal to a fresh read of ${copy.lists.size} lists and ${copy.tasks.size} tasks, after ${Object.entries(
          counts,
        )
          .map(([kind, times]) => `${times} ${kind}`)
          .join(', ')}`,
      );
    });
  },
);
