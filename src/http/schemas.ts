/** JSON Schemas for request bodies: unknown fields and wrong types are refused before a route runs. */
const str = (min: number, max: number) => ({ type: 'string', minLength: min, maxLength: max }) as const;
const obj = (properties: Record<string, unknown>, required: string[] = []) =>
  ({ type: 'object', additionalProperties: false, properties, required }) as const;

export const S = {
  register: obj({ username: str(1, 64), password: str(1, 256), displayName: str(0, 64) }, ['username', 'password']),
  deleteAccount: obj({ password: str(1, 256) }, ['password']),
  login: obj({ username: str(1, 64), password: str(1, 256) }, ['username', 'password']),
  // The new password's length and characters are the domain's to judge (checkPassword), with their own codes.
  changePassword: obj({ currentPassword: str(1, 256), newPassword: str(1, 1024) }, ['currentPassword', 'newPassword']),
  // At least one of the two: an empty PATCH is a client's mistake, not a no-op to acknowledge.
  updateMe: { ...obj({ displayName: str(0, 256), hideReadReceipts: { type: 'boolean' } }), minProperties: 1 },
  friendRequest: obj({ username: str(1, 64) }, ['username']),
  createConversation: obj(
    { kind: { type: 'string', enum: ['group', 'room'] }, name: str(1, 64), members: { type: 'array', maxItems: 100, items: str(1, 64) } },
    ['kind', 'name'],
  ),
  rename: obj({ name: str(1, 64) }, ['name']),
  addMember: obj({ username: str(1, 64) }, ['username']),
  // Body length is checked after trimming by the domain (BODY_EMPTY / BODY_TOO_LONG); the schema only bounds the raw size.
  // A send names a body, files, or both; how many files (TOO_MANY_ATTACHMENTS, 10) is the domain's rule too.
  send: {
    ...obj({
      body: { type: 'string', maxLength: 20000 },
      clientMsgId: str(1, 64),
      replyTo: str(1, 20),
      attachments: { type: 'array', maxItems: 100, items: str(1, 20) },
    }),
    anyOf: [{ required: ['body'] }, { required: ['attachments'] }],
  },
  edit: obj({ body: { type: 'string', maxLength: 20000 } }, ['body']),
  read: obj({ upTo: str(1, 20) }, ['upTo']),
  empty: { type: 'object', additionalProperties: false, properties: {} } as const,
};
