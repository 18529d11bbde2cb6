import type { components } from '../../generated/api.js';
import type { StoredReminder } from './reminder-schedule.js';

export type Reminder = components['schemas']['Reminder'];

/** A reminder as the API shows it: its definition and when it fires next (not the instant it is for). */
export function toReminder({ id, at, before_due, time, fires_at }: StoredReminder): Reminder {
  return { id, at, before_due, time, fires_at };
}
