import type { Clock } from '../../core/clock.js';
import { AppError, conflict, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { topics } from '../../core/topics.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { RateLimiter } from '../../platform/ratelimit/index.js';
import { auditEvent } from './audit.js';
import { AuthCache } from './auth-cache.js';
import type { IdentityConfig } from './config.js';
import * as E from './errors.js';
import {
  iso,
  normalizeEmail,
  ROLE_SCOPES,
  type ApiKeyView,
  type Principal,
  type Role,
  type Scope,
  type UserView,
} from './model.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import * as S from './store.js';
import {
  createTokenCodec,
  newApiKey,
  newRefreshToken,
  parseApiKey,
  sameText,
  secretMatches,
  sha256,
} from './tokens.js';

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface RequestContext {
  ip: string;
}

export const toUserView = (u: S.UserRow): UserView => ({
  id: u.id,
  email: u.email,
  displayName: u.display_name,
  role: u.role,
  disabled: u.disabled_at !== null,
  loginCount: Number(u.login_count),
  lastLoginAt: iso(u.last_login_at),
  createdAt: iso(u.created_at)!,
});

const toKeyView = (k: S.ApiKeyRow): ApiKeyView => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  expiresAt: iso(k.expires_at),
  revokedAt: iso(k.revoked_at),
  lastUsedAt: iso(k.last_used_at),
  createdAt: iso(k.created_at)!,
});

export class IdentityService {
  private readonly codec;
  readonly cache: AuthCache;

  constructor(
    private readonly deps: {
      database: Database;
      outbox: Outbox;
      clock: Clock;
      rateLimiter: RateLimiter;
      logger: Logger;
      config: IdentityConfig;
    },
  ) {
    this.codec = createTokenCodec(deps.config.jwtSecret, deps.config.accessTtlSeconds, () =>
      deps.clock.now(),
    );
    this.cache = new AuthCache(deps.database, deps.clock, deps.config.authCacheMs, deps.logger);
  }

  private get db() {
    return this.deps.database.db;
  }
  private now() {
    return this.deps.clock.date();
  }

  async register(
    input: { email: string; password: string; displayName: string; role?: Role },
    ctx: RequestContext,
  ) {
    const email = normalizeEmail(input.email);
    if (
      input.password.toLowerCase().includes(email.split('@')[0]!) &&
      email.split('@')[0]!.length >= 4
    ) {
      throw new AppError(
        'validation',
        'weak_password',
        'password must not contain the email name',
        {
          fields: [{ field: '/password', message: 'must not contain the email name' }],
        },
      );
    }
    const passwordHash = await hashPassword(input.password);
    const id = newId();
    const now = this.now();
    const role = input.role ?? 'trader';
    const tokens = await this.deps.outbox.transaction(async (tx, emit) => {
      const created = await S.insertUser(tx, {
        id,
        email,
        displayName: input.displayName.trim(),
        passwordHash,
        role,
        now,
      });
      if (!created) throw E.emailTaken();
      await emit(
        {
          topic: topics.identityUsers,
          type: 'UserRegistered',
          key: id,
          payload: { userId: id, role },
        },
        auditEvent({ action: 'user.registered', userId: id, ip: ctx.ip, details: { email, role } }),
      );
      return this.startSession(tx, emit, id, role, ctx);
    });
    const user = await S.findUserById(this.db, id);
    return { user: toUserView(user!), ...tokens };
  }

  private loginKeys(email: string, ip: string) {
    return { pair: `login:${sha256(email)}:${ip}`, ip: `login-ip:${ip}` };
  }

  async login(input: { email: string; password: string }, ctx: RequestContext) {
    const email = normalizeEmail(input.email);
    const { loginMaxFailures: max, loginFailureWindowSeconds: win } = this.deps.config;
    const keys = this.loginKeys(email, ctx.ip);
    const rl = this.deps.rateLimiter;
    // Every attempt for an email from an IP is counted before the password is checked, so
    // parallel guesses cannot slip past the limit; a success clears the count. An IP's budget
    // counts failures only, so many people behind one address can still log in.
    const [pair, byIp] = await Promise.all([
      rl.hit(keys.pair, max, win),
      rl.peek(keys.ip, max * 4, win),
    ]);
    if (!pair.allowed || !byIp.allowed) {
      const retry = Math.max(
        pair.allowed ? 0 : pair.retryAfter,
        byIp.allowed ? 0 : byIp.retryAfter,
        1,
      );
      await this.deps.outbox.transaction((_tx, emit) =>
        emit(auditEvent({ action: 'login.throttled', ip: ctx.ip, details: { email } })),
      );
      throw E.tooManyLogins(retry);
    }
    const user = await S.findUserByEmail(this.db, email);
    const ok = await verifyPassword(user?.password_hash ?? DUMMY_HASH, input.password);
    if (!user || !ok) {
      await rl.hit(keys.ip, max * 4, win);
      await this.deps.outbox.transaction((_tx, emit) =>
        emit(
          auditEvent({
            action: 'login.failed',
            userId: user?.id ?? null,
            ip: ctx.ip,
            details: { email },
          }),
        ),
      );
      throw E.invalidCredentials();
    }
    if (user.disabled_at) throw E.accountDisabled();
    await rl.reset(keys.pair, win);
    const tokens = await this.deps.outbox.transaction(async (tx, emit) => {
      await emit(auditEvent({ action: 'login.succeeded', userId: user.id, ip: ctx.ip }));
      return this.startSession(tx, emit, user.id, user.role, ctx);
    });
    return { user: toUserView(user), ...tokens };
  }

  private async startSession(
    tx: Parameters<Parameters<Outbox['transaction']>[0]>[0],
    emit: Parameters<Parameters<Outbox['transaction']>[0]>[1],
    userId: string,
    role: Role,
    _ctx: RequestContext,
  ): Promise<Tokens> {
    const sessionId = newId();
    const now = this.now();
    await S.insertSession(tx, { id: sessionId, userId, now });
    const refreshToken = await this.issueRefresh(tx, userId, sessionId, now);
    await emit({
      topic: topics.identitySessions,
      type: 'UserLoggedIn',
      key: userId,
      payload: { userId, sessionId },
    });
    return this.tokens(userId, role, sessionId, refreshToken);
  }

  private async issueRefresh(
    tx: Parameters<typeof S.insertRefreshToken>[0],
    userId: string,
    familyId: string,
    now: Date,
  ) {
    const token = newRefreshToken();
    const expiresAt = new Date(now.getTime() + this.deps.config.refreshTtlDays * 86_400_000);
    await S.insertRefreshToken(tx, {
      id: newId(),
      userId,
      familyId,
      hash: sha256(token),
      expiresAt,
      now,
    });
    return token;
  }

  private tokens(userId: string, role: Role, sessionId: string, refreshToken: string): Tokens {
    return {
      accessToken: this.codec.sign({ sub: userId, role, sid: sessionId }),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.deps.config.accessTtlSeconds,
    };
  }

  async refresh(refreshToken: string, ctx: RequestContext): Promise<Tokens> {
    const row = await S.findRefreshToken(this.db, sha256(refreshToken));
    if (!row) throw E.refreshInvalid();
    if (row.revoked_at) throw E.refreshRevoked();
    const now = this.now();
    if (row.spent_at) return this.reuseDetected(row.family_id, row.user_id, ctx);
    if (row.expires_at.getTime() <= now.getTime()) throw E.refreshExpired();
    const user = await S.findUserById(this.db, row.user_id);
    if (!user || user.disabled_at) throw E.accountDisabled();
    const next = await this.deps.outbox.transaction(async (tx) => {
      // Two concurrent refreshes with one token: only one spends it, the other is reuse.
      if (!(await S.spendRefreshToken(tx, row.id, now))) return undefined;
      return this.issueRefresh(tx, row.user_id, row.family_id, now);
    });
    if (!next) return this.reuseDetected(row.family_id, row.user_id, ctx);
    return this.tokens(user.id, user.role, row.family_id, next);
  }

  private async reuseDetected(
    sessionId: string,
    userId: string,
    ctx: RequestContext,
  ): Promise<never> {
    await this.deps.outbox.transaction(async (tx, emit) => {
      await S.revokeSession(tx, sessionId, 'refresh_token_reused', this.now());
      await emit(
        {
          topic: topics.identitySessions,
          type: 'SessionRevoked',
          key: userId,
          payload: { userId, sessionId, reason: 'refresh_token_reused' },
        },
        auditEvent({ action: 'refresh.reused', userId, ip: ctx.ip, details: { sessionId } }),
      );
    });
    this.cache.forgetSession(sessionId);
    throw E.refreshReused();
  }

  async logout(
    refreshToken: string,
    principal: Principal | undefined,
    ctx: RequestContext,
  ): Promise<void> {
    const row = await S.findRefreshToken(this.db, sha256(refreshToken));
    if (!row || (principal && principal.userId !== row.user_id)) throw E.refreshInvalid();
    await this.deps.outbox.transaction(async (tx, emit) => {
      await S.revokeSession(tx, row.family_id, 'logout', this.now());
      await emit(
        {
          topic: topics.identitySessions,
          type: 'SessionRevoked',
          key: row.user_id,
          payload: { userId: row.user_id, sessionId: row.family_id, reason: 'logout' },
        },
        auditEvent({
          action: 'logout',
          userId: row.user_id,
          ip: ctx.ip,
          details: { sessionId: row.family_id },
        }),
      );
    });
    this.cache.forgetSession(row.family_id);
  }

  async me(userId: string): Promise<UserView> {
    const u = await S.findUserById(this.db, userId);
    if (!u) throw notFound('user');
    return toUserView(u);
  }

  /** Resolves a bearer token to a principal, or throws a precise 401/403. */
  async authenticateBearer(token: string): Promise<Principal> {
    const v = this.codec.verify(token);
    if (!v.ok) throw v.expired ? E.tokenExpired() : E.tokenInvalid(v.why);
    const s = await this.cache.session(v.claims.sid);
    if (!s || s.userId !== v.claims.sub) throw E.tokenInvalid('unknown session');
    if (s.revoked) throw E.sessionEnded();
    if (s.disabled) throw E.accountDisabled();
    return {
      userId: s.userId,
      role: s.role,
      via: 'jwt',
      sessionId: v.claims.sid,
      scopes: [...ROLE_SCOPES[s.role]],
    };
  }

  async authenticateApiKey(key: string): Promise<Principal> {
    const parsed = parseApiKey(key);
    if (!parsed) throw E.apiKeyInvalid('invalid_api_key', 'The API key is malformed.');
    const k = await this.cache.apiKey(parsed.prefix);
    if (!k || !(sameText(k.verifiedKey, key) || secretMatches(parsed.secret, k.hash))) {
      throw E.apiKeyInvalid('invalid_api_key', 'The API key is not recognised.');
    }
    // Remember the key that matched, so the next request compares text instead of hashing.
    k.verifiedKey = key;
    const now = this.deps.clock.now();
    if (k.revoked) throw E.apiKeyInvalid('api_key_revoked', 'The API key has been revoked.');
    if (k.expiresAt !== null && k.expiresAt <= now)
      throw E.apiKeyInvalid('api_key_expired', 'The API key has expired.');
    if (k.disabled) throw E.accountDisabled();
    this.cache.touch(k, now);
    // A key never grants more than its owner's role allows today.
    const allowed = ROLE_SCOPES[k.role];
    return {
      userId: k.userId,
      role: k.role,
      via: 'api_key',
      keyId: k.id,
      scopes: k.scopes.filter((s) => allowed.includes(s)),
    };
  }

  async createApiKey(
    p: Principal,
    input: { name: string; scopes: Scope[]; expiresAt?: string },
    ctx: RequestContext,
  ) {
    const scopes = [...new Set(input.scopes)];
    const allowed = ROLE_SCOPES[p.role];
    const denied = scopes.filter(
      (s) => !allowed.includes(s) || (p.via === 'api_key' && !p.scopes.includes(s)),
    );
    if (denied.length) {
      throw new AppError(
        'forbidden',
        'scope_not_allowed',
        `You may not grant the scope(s) ${denied.join(', ')}.`,
        {
          fields: [{ field: '/scopes', message: `not allowed: ${denied.join(', ')}` }],
        },
      );
    }
    let expiresAt: Date | null = null;
    if (input.expiresAt !== undefined) {
      expiresAt = new Date(input.expiresAt);
      if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= this.deps.clock.now()) {
        throw new AppError('validation', 'invalid_expiry', 'expiresAt must be a future date-time', {
          fields: [{ field: '/expiresAt', message: 'must be in the future' }],
        });
      }
    }
    const gen = newApiKey();
    const row = await this.deps.outbox.transaction(async (tx, emit) => {
      const r = await S.insertApiKey(tx, {
        id: newId(),
        userId: p.userId,
        name: input.name.trim(),
        prefix: gen.prefix,
        hash: gen.hash,
        scopes,
        expiresAt,
        now: this.now(),
      });
      await emit(
        auditEvent({
          action: 'api_key.created',
          userId: p.userId,
          ip: ctx.ip,
          details: { keyId: r.id, name: r.name, scopes },
        }),
      );
      return r;
    });
    return { ...toKeyView(row), key: gen.key };
  }

  async listApiKeys(userId: string): Promise<ApiKeyView[]> {
    return (await S.listApiKeys(this.db, userId)).map(toKeyView);
  }

  /** Revoking is idempotent: a second revoke answers the same and records nothing new. */
  async revokeApiKey(p: Principal, keyId: string, ctx: RequestContext): Promise<void> {
    const row = await this.deps.outbox.transaction(async (tx, emit) => {
      const r = await S.revokeApiKey(tx, p.userId, keyId, this.now());
      if (r) {
        await emit(
          auditEvent({
            action: 'api_key.revoked',
            userId: p.userId,
            ip: ctx.ip,
            details: { keyId },
          }),
        );
        return r;
      }
      return S.findApiKey(tx, p.userId, keyId);
    });
    if (!row) throw notFound('API key');
    this.cache.forgetApiKey(row.prefix);
  }

  async listUsers(o: {
    limit: number;
    after?: string;
    email?: string;
    role?: Role;
  }): Promise<UserView[]> {
    return (await S.listUsers(this.db, o)).map(toUserView);
  }

  async updateUser(
    actor: Principal,
    userId: string,
    patch: { role?: Role; disabled?: boolean },
    ctx: RequestContext,
  ) {
    userId = userId.toLowerCase();
    if (userId === actor.userId)
      throw conflict(
        'cannot_modify_self',
        'Administrators cannot change their own role or status.',
      );
    const now = this.now();
    const updated = await this.deps.outbox.transaction(async (tx, emit) => {
      const before = await S.findUserById(tx, userId);
      if (!before) throw notFound('user');
      const set: Parameters<typeof S.updateUser>[2] = {};
      if (patch.role !== undefined && patch.role !== before.role) {
        set.role = patch.role;
        await emit(
          {
            topic: topics.identityUsers,
            type: 'UserRoleChanged',
            key: userId,
            payload: { userId, from: before.role, to: patch.role },
          },
          auditEvent({
            action: 'user.role_changed',
            userId,
            actorId: actor.userId,
            ip: ctx.ip,
            details: { from: before.role, to: patch.role },
          }),
        );
      }
      if (patch.disabled !== undefined && patch.disabled !== (before.disabled_at !== null)) {
        set.disabled_at = patch.disabled ? now : null;
        if (patch.disabled) await S.revokeUserSessions(tx, userId, 'account_disabled', now);
        const type = patch.disabled ? 'UserDisabled' : 'UserEnabled';
        await emit(
          { topic: topics.identityUsers, type, key: userId, payload: { userId } },
          auditEvent({
            action: patch.disabled ? 'user.disabled' : 'user.enabled',
            userId,
            actorId: actor.userId,
            ip: ctx.ip,
          }),
        );
      }
      if (Object.keys(set).length === 0) return before;
      return (await S.updateUser(tx, userId, set, now))!;
    });
    this.cache.forgetUser(userId);
    return toUserView(updated);
  }

  /** Creates an administrator, or promotes an existing account (CLI `create-admin`). */
  async ensureAdmin(input: {
    email: string;
    password: string;
    displayName?: string;
  }): Promise<{ user: UserView; created: boolean }> {
    const email = normalizeEmail(input.email);
    const existing = await S.findUserByEmail(this.db, email);
    const now = this.now();
    if (existing) {
      const passwordHash = await hashPassword(input.password);
      await this.deps.outbox.transaction(async (tx, emit) => {
        await S.updateUser(
          tx,
          existing.id,
          { role: 'admin', disabled_at: null, password_hash: passwordHash },
          now,
        );
        await emit(
          auditEvent({
            action: 'admin.created',
            userId: existing.id,
            details: { email, promoted: true },
          }),
        );
      });
      this.cache.forgetUser(existing.id);
      return { user: toUserView((await S.findUserById(this.db, existing.id))!), created: false };
    }
    const id = newId();
    const passwordHash = await hashPassword(input.password);
    await this.deps.outbox.transaction(async (tx, emit) => {
      await S.insertUser(tx, {
        id,
        email,
        displayName: input.displayName ?? 'Administrator',
        passwordHash,
        role: 'admin',
        now,
      });
      await emit(
        {
          topic: topics.identityUsers,
          type: 'UserRegistered',
          key: id,
          payload: { userId: id, role: 'admin' },
        },
        auditEvent({ action: 'admin.created', userId: id, details: { email, promoted: false } }),
      );
    });
    return { user: toUserView((await S.findUserById(this.db, id))!), created: true };
  }

  async audit(o: { userId?: string; action?: string; limit: number; before?: string }) {
    return (await S.listAudit(this.db, o)).map((a) => ({
      id: a.id,
      userId: a.user_id,
      actorId: a.actor_id,
      action: a.action,
      ip: a.ip,
      details: (a.details ?? {}) as Record<string, unknown>,
      createdAt: iso(a.created_at)!,
    }));
  }
}
