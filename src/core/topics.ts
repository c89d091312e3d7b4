/**
 * Every bus topic is named here, so producers and consumers cannot drift apart and an operator
 * can see the whole event map in one file.
 */
export const topics = {
  /** Security-relevant actions (sign-ups, logins, keys, credentials, role changes). */
  audit: 'audit',
  /** Session lifecycle: UserLoggedIn, SessionRevoked. */
  identitySessions: 'identity.sessions',
  /** User lifecycle: UserRegistered, UserRoleChanged, UserDisabled, UserEnabled. */
  identityUsers: 'identity.users',
} as const;

export type Topic = (typeof topics)[keyof typeof topics];
