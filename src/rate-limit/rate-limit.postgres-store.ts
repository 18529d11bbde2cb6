import type { Knex } from 'knex';
import type { CounterStore, WindowCount } from './counter-store.js';

/** Ended windows deleted per clean-up statement: a clean-up never holds many row locks or runs long. */
export const CLEANUP_BATCH = 500;

/**
 * Rate-limit counters in PostgreSQL (table `rate_limit_counters`), shared by every API process on
 * the database. Each call is one statement that counts the hits and starts a new fixed window when
 * the old one has ended, atomically: no read-then-write race between processes, and no session
 * state, so it works through a transaction-mode pooler on the app's own pool. Windows are timed by
 * the database's clock, the one clock all processes share. The app counts through
 * batched-counter-store.ts, which sends many hits of many keys in one `hitMany`.
 */
export class PostgresRateLimitStore implements CounterStore {
  private nextCleanupAt = 0;
  private cleaning = false;

  constructor(
    private readonly db: Knex,
    private readonly windowSeconds: number,
    /** Keeps the keys of each limiter apart in the one table (`address:`, `user:`). */
    readonly prefix: string,
    /** Where a failed background clean-up is reported (it never fails a request). */
    private readonly onCleanupError: (error: unknown) => void,
  ) {}

  async hit(key: string, weight: number): Promise<WindowCount> {
    return (await this.hitMany(new Map([[key, weight]]))).get(key)!;
  }

  /**
   * Adds each key's weight to its window in one statement (what `hit` does, for many keys at
   * once); answers each key's new count. Rows are locked in key order, the same in every process,
   * so that two processes counting overlapping keys at once cannot deadlock.
   */
  async hitMany(weights: ReadonlyMap<string, number>): Promise<Map<string, WindowCount>> {
    this.cleanUpNowAndThen();
    const { rows } = await this.db.raw<{ rows: { key: string; hits: number; reset_at: Date }[] }>(
      `insert into rate_limit_counters as counter (key, hits, reset_at)
       select batch.key, batch.hits, now() + make_interval(secs => ?)
       from unnest(?::text[], ?::integer[]) as batch (key, hits)
       order by batch.key
       on conflict (key) do update set
         hits = case when counter.reset_at <= now() then excluded.hits else counter.hits + excluded.hits end,
         reset_at = case when counter.reset_at <= now() then excluded.reset_at else counter.reset_at end
       returning key, hits, reset_at`,
      [this.windowSeconds, [...weights.keys()].map((key) => this.prefix + key), [...weights.values()]],
    );
    return new Map(
      rows.map((row) => [row.key.slice(this.prefix.length), { hits: row.hits, resetAt: row.reset_at }] as const),
    );
  }

  async resetKey(key: string): Promise<void> {
    await this.db.raw('delete from rate_limit_counters where key = ?', [this.prefix + key]);
  }

  /**
   * Deletes up to `CLEANUP_BATCH` of this limiter's ended windows; returns how many. Rows another
   * request is counting right now are skipped, not waited for. Any process may delete any ended
   * window of the prefix: an ended window is restarted by the next hit whether its row exists or not.
   */
  async deleteEndedWindows(): Promise<number> {
    const { rowCount } = await this.db.raw<{ rowCount: number }>(
      `delete from rate_limit_counters where key in (
         select key from rate_limit_counters
         where reset_at <= now() and key like ? escape '\\'
         limit ${CLEANUP_BATCH} for update skip locked
       )`,
      [`${this.prefix.replace(/[\\%_]/g, '\\$&')}%`],
    );
    return rowCount;
  }

  /**
   * In the background, one batch at a time per process: once a window, or again on the next hit
   * while a batch came back full, so that keys seen once (a passing address) do not pile up
   * however many there are.
   */
  private cleanUpNowAndThen(): void {
    if (this.cleaning || Date.now() < this.nextCleanupAt) return;
    this.cleaning = true;
    const inAWindow = () => Date.now() + this.windowSeconds * 1000;
    this.deleteEndedWindows()
      .then((deleted) => (this.nextCleanupAt = deleted < CLEANUP_BATCH ? inAWindow() : 0))
      .catch((error: unknown) => {
        this.nextCleanupAt = inAWindow();
        this.onCleanupError(error);
      })
      .finally(() => (this.cleaning = false));
  }
}
