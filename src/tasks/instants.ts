import { DateTime } from 'luxon';

/** RFC 3339 as the validator's `date-time` accepts it: `t` or a space for `T`, offsets with or without a colon, leap seconds. */
const RFC_3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-]\d{2})(?::?(\d{2}))?)$/;

/** The first and last instants PostgreSQL and both drivers agree on: years 1 to 9999 in UTC. */
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * The last all-day date: its day, in any zone (UTC-12 to UTC+14), stays within years 1 to 9999
 * in UTC (the spec's DueDate pattern also bounds what clients send, from 0001-01-02).
 */
export const LATEST_DUE_DATE = '9999-12-30';

export function isStorableInstant(instant: Date): boolean {
  return instant.getTime() >= EARLIEST && instant.getTime() <= LATEST;
}

/**
 * The instant an RFC 3339 date-time names, or `undefined` when there is none we can store: a
 * leap second is the instant after 23:59:59 (as PostgreSQL reads it; JavaScript knows none), and
 * an offset may not push the instant out of years 1-9999 in UTC.
 */
export function parseInstant(text: string): Date | undefined {
  const parts = RFC_3339.exec(text);
  if (!parts) return undefined;
  const [, date, hoursMinutes, seconds, fraction = '', offsetHours, offsetMinutes = '00'] = parts;
  const offset = offsetHours === undefined ? 'Z' : `${offsetHours}:${offsetMinutes}`;
  const leap = seconds === '60';
  const parsed =
    new Date(`${date}T${hoursMinutes}:${leap ? '59' : seconds}${fraction}${offset}`).getTime() + (leap ? 1000 : 0);
  if (Number.isNaN(parsed) || !isStorableInstant(new Date(parsed))) return undefined;
  return new Date(parsed);
}

/**
 * A due as the local date-time it means in the zone: a date (`YYYY-MM-DD`) at midnight, or an
 * instant as sent (any RFC 3339 spelling the API accepts, which Luxon alone does not all read).
 */
export function dueInZone(due: string, zone: string): DateTime {
  const instant = parseInstant(due);
  return instant === undefined ? DateTime.fromISO(due, { zone }) : DateTime.fromJSDate(instant, { zone });
}
