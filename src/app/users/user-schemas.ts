import { Type } from 'typebox';

export const UserSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  email: Type.String({ format: 'email' }),
  age: Type.Optional(Type.Integer()),
  createdAt: Type.String({ format: 'date-time' }),
});

/** The seed API's rules: name 2..100 chars, email required, age integer 0..120, nothing else. */
export const CreateUserBody = Type.Object(
  {
    name: Type.String({ minLength: 2, maxLength: 100 }),
    email: Type.String({ format: 'email', maxLength: 254 }),
    age: Type.Optional(Type.Integer({ minimum: 0, maximum: 120 })),
  },
  { additionalProperties: false },
);

export const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ListUsersQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const UserPageSchema = Type.Object({
  items: Type.Array(UserSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
