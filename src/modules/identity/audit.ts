import { topics } from '../../core/topics.js';
import type { ConsumerSpec, NewEvent } from '../../platform/bus/index.js';
import { insertAudit, recordLogin } from './store.js';

export const AUDIT_ACTIONS = [
  'user.registered',
  'login.succeeded',
  'login.failed',
  'login.throttled',
  'logout',
  'refresh.reused',
  'api_key.created',
  'api_key.revoked',
  'credential.stored',
  'credential.deleted',
  'vault.key_rotated',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'admin.created',
  'dead_letter.replayed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditInput {
  action: AuditAction | (string & {});
  userId?: string | null;
  actorId?: string | null;
  ip?: string | null;
  /** Never secrets: ids, names, emails and reasons only. */
  details?: Record<string, unknown>;
}

/**
 * An audit record travels as an event in the caller's transaction, so it is committed exactly
 * when the action is, and written to the audit log by the consumer below.
 */
export const auditEvent = (a: AuditInput): NewEvent<AuditInput> => ({
  topic: topics.audit,
  type: 'AuditRecorded',
  key: a.userId ?? null,
  payload: {
    action: a.action,
    userId: a.userId ?? null,
    actorId: a.actorId ?? a.userId ?? null,
    ip: a.ip ?? null,
    details: a.details ?? {},
  },
});

export interface UserLoggedIn {
  userId: string;
  sessionId: string;
}

export const auditLogConsumer: ConsumerSpec = {
  name: 'identity.audit-log',
  topics: [topics.audit],
  async handle(event, tx) {
    if (event.type !== 'AuditRecorded') return;
    const p = event.payload as Required<AuditInput>;
    await insertAudit(tx, {
      id: event.eventId,
      user_id: p.userId ?? null,
      actor_id: p.actorId ?? null,
      action: p.action,
      ip: p.ip ?? null,
      details: p.details ?? {},
      created_at: new Date(event.tsEvent),
    });
  },
};

/**
 * Keeps each user's login count and last login. The increment is not idempotent by itself:
 * it is applied exactly once because the inbox records the event in the same transaction.
 */
export const loginStatsConsumer: ConsumerSpec = {
  name: 'identity.login-stats',
  topics: [topics.identitySessions],
  async handle(event, tx) {
    if (event.type !== 'UserLoggedIn') return;
    const p = event.payload as UserLoggedIn;
    await recordLogin(tx, p.userId, new Date(event.tsEvent));
  },
};
