/** Lets go of a costly slot (once; later calls do nothing). */
export type Release = () => void;

/**
 * Each user's one costly request (a search, a bulk request) at a time: for the whole server,
 * whatever process runs it, so that one user's most expensive work keeps at most one core busy.
 */
export interface CostlySlots {
  /** The key's slot, or undefined while another of its costly requests runs. */
  take(key: string): Promise<Release | undefined>;
}

/** The slots of one process: all of them when it serves alone, or the cluster primary's for every worker. */
export class LocalCostlySlots implements CostlySlots {
  private readonly taken = new Set<string>();

  takeNow(key: string): Release | undefined {
    if (this.taken.has(key)) return undefined;
    this.taken.add(key);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.taken.delete(key);
    };
  }

  take(key: string): Promise<Release | undefined> {
    return Promise.resolve(this.takeNow(key));
  }
}
