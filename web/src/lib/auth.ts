import { createApi, type Api } from './api';
import type { AuthResult, TokenPair, User } from './types';

/**
 * The signed-in session. The access token lives only in memory, where no other script can
 * find it in storage; the refresh token is kept in sessionStorage, so reloading the tab stays
 * signed in and closing it ends the session. Refresh tokens are single-use on the server
 * (presenting a spent one ends the whole session), so concurrent refreshes share one request.
 */

const REFRESH_KEY = 'obscura.refreshToken';
/** Refresh this long before the access token expires. */
const EARLY_MS = 60_000;

export type AuthState =
  | { status: 'restoring' }
  | { status: 'signed-out'; reason?: string }
  | { status: 'signed-in'; user: User };

export class Auth {
  readonly api: Api;
  private state: AuthState;
  private accessToken: string | undefined;
  private expiresAt = 0;
  private readonly listeners = new Set<() => void>();
  private readonly tokenListeners = new Set<(token: string) => void>();
  private refreshing: Promise<boolean> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.api = createApi({ token: () => this.accessToken, refresh: () => this.refresh() });
    this.state = storedRefreshToken() ? { status: 'restoring' } : { status: 'signed-out' };
  }

  get current(): AuthState {
    return this.state;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  /** Told each new access token, e.g. to re-authenticate a WebSocket in place. */
  onToken(fn: (token: string) => void): () => void {
    this.tokenListeners.add(fn);
    return () => this.tokenListeners.delete(fn);
  }

  /** An access token good for a while yet, refreshing first when it is about to expire. */
  async freshToken(): Promise<string | undefined> {
    if (this.accessToken && this.expiresAt - Date.now() < EARLY_MS / 2) await this.refresh();
    return this.accessToken;
  }

  /** On start: a refresh token in this tab is a session to pick up again. */
  async restore(): Promise<void> {
    if (this.state.status !== 'restoring' || !(await this.refresh())) return;
    try {
      this.set({ status: 'signed-in', user: await this.api.get<User>('/api/v1/auth/me') });
    } catch {
      this.end('Your session could not be restored; please sign in again.');
    }
  }

  async login(email: string, password: string): Promise<void> {
    this.begin(await this.api.post<AuthResult>('/api/v1/auth/login', { email, password }));
  }

  async register(email: string, password: string, displayName: string): Promise<void> {
    this.begin(
      await this.api.post<AuthResult>('/api/v1/auth/register', { email, password, displayName }),
    );
  }

  async logout(): Promise<void> {
    const refreshToken = storedRefreshToken();
    if (refreshToken)
      await this.api.post('/api/v1/auth/logout', { refreshToken }).catch(() => undefined);
    this.end();
  }

  /** Exchanges the refresh token for a new pair; false when that is not possible now. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.exchange().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async exchange(): Promise<boolean> {
    const refreshToken = storedRefreshToken();
    if (!refreshToken) {
      this.end();
      return false;
    }
    let res: Response;
    try {
      res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ refreshToken }),
      });
    } catch {
      // The server is unreachable: keep the session, a later attempt may succeed.
      if (this.state.status === 'restoring') this.end('The server cannot be reached.');
      return false;
    }
    if (res.ok) {
      this.adopt((await res.json()) as TokenPair);
      return true;
    }
    if (res.status === 429 || res.status >= 500) {
      if (this.state.status === 'restoring') this.end('The server is busy; please sign in again.');
      return false;
    }
    this.end(
      this.state.status === 'restoring'
        ? undefined
        : 'Your session has ended; please sign in again.',
    );
    return false;
  }

  private begin(r: AuthResult): void {
    this.adopt(r);
    this.set({ status: 'signed-in', user: r.user });
  }

  private adopt(pair: TokenPair): void {
    sessionStorage.setItem(REFRESH_KEY, pair.refreshToken);
    this.accessToken = pair.accessToken;
    this.expiresAt = Date.now() + pair.expiresIn * 1000;
    clearTimeout(this.timer);
    const wait = Math.max(5_000, pair.expiresIn * 1000 - EARLY_MS);
    this.timer = setTimeout(() => void this.refresh(), wait);
    for (const fn of this.tokenListeners) fn(pair.accessToken);
  }

  private end(reason?: string): void {
    clearTimeout(this.timer);
    this.accessToken = undefined;
    this.expiresAt = 0;
    sessionStorage.removeItem(REFRESH_KEY);
    this.set(reason ? { status: 'signed-out', reason } : { status: 'signed-out' });
  }

  private set(state: AuthState): void {
    this.state = state;
    for (const fn of this.listeners) fn();
  }
}

function storedRefreshToken(): string | null {
  try {
    return sessionStorage.getItem(REFRESH_KEY);
  } catch {
    return null;
  }
}
