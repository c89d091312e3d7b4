import { Type, type Static } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

export const Email = Type.String({
  format: 'email',
  minLength: 3,
  maxLength: 254,
  description: 'Case-insensitive',
});
export const Password = Type.String({
  minLength: 8,
  maxLength: 256,
  description: '8 to 256 characters',
});
export const RoleT = Type.Union([
  Type.Literal('admin'),
  Type.Literal('trader'),
  Type.Literal('follower'),
]);
export const ScopeT = Type.Union([
  Type.Literal('read'),
  Type.Literal('trade'),
  Type.Literal('signals'),
  Type.Literal('admin'),
]);
const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Password,
    displayName: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }),
    role: Type.Optional(
      Type.Union([Type.Literal('trader'), Type.Literal('follower')], {
        description: 'Defaults to trader',
      }),
    ),
  },
  closed,
);
export const LoginBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 256 }) },
  closed,
);
export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512 }) },
  closed,
);

export const User = Type.Object({
  id: Uuid,
  email: Type.String(),
  displayName: Type.String(),
  role: RoleT,
  disabled: Type.Boolean(),
  loginCount: Type.Integer(),
  lastLoginAt: Nullable(DateTime),
  createdAt: DateTime,
});

export const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
});
export const AuthResult = Type.Composite([TokenPair, Type.Object({ user: User })]);

export const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }),
    scopes: Type.Array(ScopeT, { minItems: 1, maxItems: 4 }),
    expiresAt: Type.Optional(DateTime),
  },
  closed,
);
export const ApiKey = Type.Object({
  id: Uuid,
  name: Type.String(),
  prefix: Type.String(),
  scopes: Type.Array(ScopeT),
  expiresAt: Nullable(DateTime),
  revokedAt: Nullable(DateTime),
  lastUsedAt: Nullable(DateTime),
  createdAt: DateTime,
});
export const CreatedKey = Type.Composite([
  ApiKey,
  Type.Object({ key: Type.String({ description: 'Shown this once' }) }),
]);

export const IdParams = (name: string) => Type.Object({ [name]: Uuid }, closed);

export const ListUsersQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    after: Type.Optional(Uuid),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    role: Type.Optional(RoleT),
  },
  closed,
);
export const PatchUserBody = Type.Object(
  { role: Type.Optional(RoleT), disabled: Type.Optional(Type.Boolean()) },
  { ...closed, minProperties: 1 },
);

export const AuditQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    before: Type.Optional(Uuid),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    userId: Type.Optional(Uuid),
  },
  closed,
);
export const AuditEntry = Type.Object({
  id: Uuid,
  userId: Type.Union([Uuid, Type.Null()]),
  actorId: Type.Union([Uuid, Type.Null()]),
  action: Type.String(),
  ip: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  createdAt: DateTime,
});

export type RegisterBodyT = Static<typeof RegisterBody>;

export const PrincipalView = Type.Object({
  userId: Uuid,
  role: RoleT,
  via: Type.Union([Type.Literal('jwt'), Type.Literal('api_key')]),
  sessionId: Type.Optional(Uuid),
  keyId: Type.Optional(Uuid),
  scopes: Type.Array(ScopeT),
});
