import cluster, { type Worker } from 'node:cluster';
import { LocalCostlySlots, type CostlySlots, type Release } from '../rate-limit/costly-slots.js';

/**
 * The costly slots across worker processes (WEB_CONCURRENCY > 1): the primary holds them, so a
 * user's one costly request at a time holds for the whole server, not for each worker. A worker
 * asks for a slot and tells when it lets go; the primary frees the slots of a worker that exits.
 */

const TAKE = 'todo-api:take-costly-slot';
const ANSWER = 'todo-api:costly-slot';
const RELEASE = 'todo-api:release-costly-slot';
/**
 * The primary answers at once; one that does not within this time is stopping or stuck, and the
 * request runs (failing open, as the rate limits do when Redis does not answer).
 */
const ANSWER_TIMEOUT_MS = 1000;

interface TakeMessage {
  readonly type: typeof TAKE;
  readonly id: number;
  readonly key: string;
}
interface AnswerMessage {
  readonly type: typeof ANSWER;
  readonly id: number;
  readonly granted: boolean;
}
interface ReleaseMessage {
  readonly type: typeof RELEASE;
  readonly id: number;
}

/** In the primary: grants and frees the workers' slots. */
export function relayCostlySlots(): void {
  const slots = new LocalCostlySlots();
  /** Each worker's granted slots, by the id it asked with. */
  const held = new Map<Worker, Map<number, Release>>();
  cluster.on('message', (worker: Worker, message: Partial<TakeMessage | ReleaseMessage>) => {
    if (typeof message?.id !== 'number') return;
    if (message.type === TAKE && typeof message.key === 'string') {
      const release = slots.takeNow(message.key);
      if (release) {
        if (!held.has(worker)) held.set(worker, new Map());
        held.get(worker)!.set(message.id, release);
      }
      if (worker.isConnected()) worker.send({ type: ANSWER, id: message.id, granted: release !== undefined });
    } else if (message.type === RELEASE) {
      held.get(worker)?.get(message.id)?.();
      held.get(worker)?.delete(message.id);
    }
  });
  cluster.on('exit', (worker: Worker) => {
    for (const release of held.get(worker)?.values() ?? []) release();
    held.delete(worker);
  });
}

/** In a worker: the slots the primary holds. */
export function costlySlotsOfPrimary(): CostlySlots {
  const pending = new Map<number, (granted: boolean) => void>();
  let nextId = 0;
  process.on('message', (message: Partial<AnswerMessage>) => {
    if (message?.type !== ANSWER || typeof message.id !== 'number') return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (waiting) waiting(message.granted === true);
    // Granted after this worker stopped waiting (and let the request run): given back at once.
    else if (message.granted) process.send?.({ type: RELEASE, id: message.id } satisfies ReleaseMessage);
  });
  return {
    take: (key) =>
      new Promise<Release | undefined>((resolve) => {
        const id = nextId++;
        let released = false;
        const release: Release = () => {
          if (!released) process.send?.({ type: RELEASE, id } satisfies ReleaseMessage);
          released = true;
        };
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(() => undefined);
        }, ANSWER_TIMEOUT_MS);
        pending.set(id, (granted) => {
          clearTimeout(timer);
          resolve(granted ? release : undefined);
        });
        process.send!({ type: TAKE, id, key } satisfies TakeMessage);
      }),
  };
}
