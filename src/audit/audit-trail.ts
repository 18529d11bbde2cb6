import type { Logger } from 'pino';
import type { AuthenticatedUser } from '../contract/authenticated-user.js';
import { afterCommit } from '../db/request-transaction.js';

/** What a change was made to: a task, a list or a webhook, by id. */
export type AuditSubject =
  { readonly task_id: number } | { readonly list_id: number } | { readonly webhook_id: number };

/** The parts of a handler's input an audit line needs. */
export interface Auditable {
  readonly log: Logger;
  readonly user: AuthenticatedUser;
}

/**
 * One log line per change, for the audit trail: who did what to which task, list or webhook. Written once
 * the change has committed (a keyed request commits after its handler returns): a change rolled
 * back is not in the trail.
 */
export function auditTrail(input: Auditable, action: string, subject: AuditSubject): void {
  afterCommit(() => input.log.info({ audit: { action, user_id: input.user.id, ...subject } }, `audit ${action}`));
}
