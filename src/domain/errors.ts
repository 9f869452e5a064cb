/**
 * The one error catalog. Every error hubbub answers with is named here with its
 * HTTP status and a message; nothing matches on message strings. `closeCode` is
 * the WebSocket close code when the error ends a connection: 4000–4499 mean
 * "reconnect and resume with your cursor", 4500–4999 "do not reconnect".
 * test/unit/errors.test.ts checks that each code is documented in docs/api.md.
 */
export const ERRORS = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the expected shape.' },
  BODY_EMPTY: { status: 400, message: 'A message body must contain at least one non-space character.' },
  BODY_TOO_LONG: { status: 400, message: 'A message body is limited to 4000 characters.' },
  INVALID_CURSOR: { status: 400, message: 'The cursor is not one this server issued.' },
  INVALID_USERNAME: { status: 400, message: 'A username is 3–32 characters of a–z, 0–9, "_", "." and "-".' },
  WEAK_PASSWORD: { status: 400, message: 'A password needs at least 8 characters.' },
  PASSWORD_TOO_COMMON: { status: 400, message: 'That password is among the most common ones; choose another.' },
  PASSWORD_CONTAINS_USERNAME: { status: 400, message: 'A password may not contain the username.' },
  INVALID_PASSWORD_CHARACTERS: { status: 400, message: 'A password may not be only spaces, nor contain control or invisible characters.' },
  INVALID_EMOJI: { status: 400, message: 'A reaction is one emoji.' },
  INVALID_DISPLAY_NAME: {
    status: 400,
    message: 'A display name is 1–64 visible characters, without control, direction-override or invisible characters.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send JSON with Content-Type: application/json.' },
  AUTH_REQUIRED: { status: 401, message: 'Log in or send a bearer token.' },
  INVALID_CREDENTIALS: { status: 401, message: 'Wrong username or password.', closeCode: 4501 },
  SESSION_REVOKED: {
    status: 401,
    message: 'This session or token was revoked (logged out, password changed or account suspended); log in again.',
    closeCode: 4504,
  },
  ACCOUNT_DELETED: { status: 401, message: 'This account was deleted.', closeCode: 4505 },
  CSRF_FAILED: { status: 403, message: 'Missing or wrong X-CSRF-Token header for a cookie-authenticated request.' },
  ORIGIN_FORBIDDEN: { status: 403, message: 'This origin may not open a WebSocket.', closeCode: 4503 },
  FORBIDDEN: { status: 403, message: 'You may not do that.' },
  NOT_A_MEMBER: { status: 403, message: 'You are not a member of this conversation.' },
  NOT_OWNER: { status: 403, message: 'Only the owner of the group may do that.' },
  NOT_YOUR_MESSAGE: {
    status: 403,
    message: "Only its sender may edit a message; deleting another's needs a moderator, an owner or an admin.",
  },
  EDIT_WINDOW_PASSED: { status: 403, message: 'This message is too old to edit.' },
  FRIENDSHIP_REQUIRED: { status: 403, message: 'You can only do that with a friend.' },
  USER_NOT_FOUND: { status: 404, message: 'No such user.' },
  CONVERSATION_NOT_FOUND: { status: 404, message: 'No such conversation.' },
  MESSAGE_NOT_FOUND: { status: 404, message: 'No such message.' },
  FRIEND_REQUEST_NOT_FOUND: { status: 404, message: 'No such pending friend request.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  USERNAME_TAKEN: { status: 409, message: 'That username is taken.' },
  ALREADY_FRIENDS: { status: 409, message: 'You are already friends.' },
  FRIEND_REQUEST_EXISTS: { status: 409, message: 'A friend request is already pending.' },
  ALREADY_MEMBER: { status: 409, message: 'That user is already a member.' },
  NAME_TAKEN: { status: 409, message: 'A room with that name exists.' },
  MESSAGE_DELETED: { status: 409, message: 'That message was deleted.' },
  TOO_MANY_REACTIONS: { status: 409, message: 'This message has as many different reactions as it may; add to an existing one.' },
  INVALID_OPERATION: { status: 409, message: 'That operation does not apply to this conversation.' },
  CURSOR_EXPIRED: {
    status: 410,
    message: 'The cursor is outside the retained history; reload your state and take a fresh cursor.',
    closeCode: 4010,
  },
  TOO_MANY_CONNECTIONS: { status: 429, message: 'Too many live connections for this account; close one first.', closeCode: 4029 },
  SERVER_BUSY: { status: 503, message: 'This node holds as many connections as it may; retry later or on another node.', closeCode: 4003 },
  RATE_LIMITED: { status: 429, message: 'Too many requests; slow down.', closeCode: 4029 },
  LOGIN_THROTTLED: { status: 429, message: 'Too many login attempts; wait before trying again (see Retry-After).' },
  SLOW_CONSUMER: { status: 503, message: 'The connection fell behind; reconnect and resume from your cursor.', closeCode: 4001 },
  SHUTTING_DOWN: { status: 503, message: 'The server is restarting; reconnect and resume from your cursor.', closeCode: 4002 },
  INTERNAL: { status: 500, message: 'Something went wrong on the server.' },
  STORE_UNAVAILABLE: {
    status: 503,
    message: 'The database is unreachable; nothing was changed. Retry shortly (see Retry-After).',
    closeCode: 4004,
  },
  STORAGE_FULL: { status: 507, message: "The server's disk is full; nothing was changed. Retry later.", closeCode: 4005 },
  STREAM_AUTH_REQUIRED: {
    status: 401,
    message: 'Log in or send a bearer token before opening a stream; do not reconnect without credentials.',
    closeCode: 4501,
  },
  MULTIPART_REQUIRED: { status: 415, message: 'Upload a file as multipart/form-data with one file part.' },
  TOO_MANY_FILES: { status: 400, message: 'One upload carries exactly one file.' },
  FILE_EMPTY: { status: 400, message: 'The file is empty.' },
  FILE_TOO_LARGE: { status: 413, message: 'The file is larger than this server accepts.' },
  IMAGE_UNREADABLE: { status: 400, message: 'The file claims to be an image but cannot be decoded as one.' },
  IMAGE_TOO_LARGE: { status: 400, message: 'The image has more pixels than this server decodes.' },
  UPLOAD_QUOTA_EXCEEDED: { status: 403, message: 'Your files would exceed your storage quota; delete some messages with files first.' },
  FILE_STORAGE_FULL: { status: 507, message: 'This server stores as many files as it may; nothing was stored.' },
  ATTACHMENT_NOT_FOUND: { status: 404, message: 'No such file in this conversation.' },
  ATTACHMENT_ALREADY_SENT: { status: 409, message: 'That file was already sent with another message; upload it again.' },
  TOO_MANY_ATTACHMENTS: { status: 400, message: 'A message carries at most 10 files.' },
  INVALID_SEARCH: { status: 400, message: 'A search needs 1–200 characters of query text or a filter.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested byte range starts past the end of the file (see Content-Range).' },
  UNKNOWN_FRAME_TYPE: { status: 400, message: 'Unknown frame type; expected send, edit, delete, react, typing, read or ping.' },
  BINARY_FRAME: { status: 400, message: 'Binary frames are not accepted; send JSON text frames.' },
  TOO_MANY_BAD_FRAMES: { status: 400, message: 'Too many malformed frames; the connection is closed.' },
} as const satisfies Record<string, { status: number; message: string; closeCode?: number }>;

export type ErrorCode = keyof typeof ERRORS;

/** An expected failure: carries its catalog code; the edge turns it into a response. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message?: string) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.status = ERRORS[code].status;
  }
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function closeCodeFor(code: ErrorCode): number {
  const entry = ERRORS[code] as { closeCode?: number };
  return entry.closeCode ?? 4000;
}
