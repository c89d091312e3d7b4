export const ROLES = ['admin', 'trader', 'follower'] as const;
export type Role = (typeof ROLES)[number];
export const SCOPES = ['read', 'trade', 'signals', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** What a logged-in session may do; API keys narrow this to their own scopes. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  admin: SCOPES,
  trader: ['read', 'trade', 'signals'],
  follower: ['read', 'trade'],
};

/** The authenticated caller of a request. */
export interface Principal {
  userId: string;
  role: Role;
  via: 'jwt' | 'api_key';
  keyId?: string;
  sessionId?: string;
  scopes: Scope[];
}

export interface UserView {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  loginCount: number;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export const iso = (d: Date | string | null | undefined): string | null =>
  d == null ? null : (d instanceof Date ? d : new Date(d)).toISOString();

export const normalizeEmail = (email: string) => email.trim().toLowerCase();
