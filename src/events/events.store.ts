import type { Knex } from 'knex';

// The outbox (db/migrations/20261230000000_events_outbox.ts): every change's event, written in the
// change's own transaction and numbered with its change number. A reader takes the user's change
// barrier first (as the changes feed does): the user's writes in flight end before it reads, and
// later ones take greater numbers, so reading on from the last number read never passes an event.

/** An event as stored: `data` is the row the change left (or what the writer of a non-row event put there). */
export interface EventRow {
  readonly seq: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly created_at: Date;
}

/** The user's events numbered after `after`, oldest first, at most `limit`. */
export async function readEventsAfter(db: Knex, userId: string, after: number, limit: number): Promise<EventRow[]> {
  return db.transaction(async (trx) => {
    await trx.raw('select changes_barrier(?)', [userId]);
    return trx('events')
      .select<EventRow[]>('seq', 'type', 'data', 'created_at')
      .where('user_id', userId)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(limit);
  });
}

/**
 * The number of the user's latest event, or of the latest pruned if greater (0 before any): a
 * reader starting now goes on from it.
 */
export async function latestEventSeq(db: Knex, userId: string): Promise<number> {
  return db.transaction(async (trx) => {
    await trx.raw('select changes_barrier(?)', [userId]);
    const { rows } = await trx.raw<{ rows: { seq: number }[] }>(
      `select greatest(
         (select max(seq) from events where user_id = :userId),
         (select horizon from event_horizons where user_id = :userId),
         0) as seq`,
      { userId },
    );
    return rows[0]!.seq;
  });
}

/** The greatest number pruned from the user's events (0 when none was): a reader behind it may have missed one. */
export async function eventHorizon(db: Knex, userId: string): Promise<number> {
  const row = await db('event_horizons').where('user_id', userId).first<{ horizon: number } | undefined>('horizon');
  return row?.horizon ?? 0;
}

/**
 * Records an event that is no change to a task or list (a reminder fired, a webhook disabled), with
 * the user's next change number, in the caller's transaction.
 */
export async function recordEvent(
  trx: Knex.Transaction,
  userId: string,
  type: string,
  data: Record<string, unknown>,
): Promise<EventRow> {
  const [row] = await recordEvents(trx, [{ userId, type, data }]);
  return row!;
}

/** An event to record: its user, type and data. */
export interface NewEvent {
  readonly userId: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/**
 * Records several such events in one statement (a batch of fired reminders), each with its user's
 * next change number, taken in the order given, in the caller's transaction.
 */
export async function recordEvents(trx: Knex.Transaction, events: readonly NewEvent[]): Promise<EventRow[]> {
  if (events.length === 0) return [];
  // The numbers are taken after the sort: PostgreSQL evaluates a volatile function of the select
  // list once the rows are ordered.
  const { rows } = await trx.raw<{ rows: EventRow[] }>(
    `insert into events (user_id, seq, type, data)
     select given.event->>'user_id', next_change_seq(given.event->>'user_id'), given.event->>'type', given.event->'data'
       from jsonb_array_elements(?::jsonb) with ordinality as given (event, place)
      order by given.place
     returning seq, type, data, created_at`,
    [JSON.stringify(events.map(({ userId, type, data }) => ({ user_id: userId, type, data })))],
  );
  return rows;
}
