import type { ErrorCode } from '../../../src/domain/errors';

/**
 * What the app says for each refusal, keyed by the server's catalog codes
 * (src/domain/errors.ts ERRORS) plus the SDK's own (no connection, timeout…).
 * Written for the person using the app, not for an API client: the catalog's
 * own messages name headers and cursors. Typed as a Record over ErrorCode, so
 * a code added to the catalog without words here does not compile (and
 * test/unit/web-i18n.test.ts checks it too).
 */
export type ClientErrorCode = 'ERROR' | 'NETWORK' | 'TIMEOUT' | 'DISCONNECTED' | 'CLOSED' | 'ABORTED' | 'NO_TRANSPORT';

export type ErrorTexts = Record<ErrorCode | ClientErrorCode, string>;

const errorsEn: ErrorTexts = {
  BAD_REQUEST: 'The app sent something the server could not read. Reload the page and try again.',
  INVALID_JSON: 'The app sent something the server could not read. Reload the page and try again.',
  VALIDATION_FAILED: 'Something you entered is not in the expected form (too long, or empty).',
  BODY_EMPTY: 'Write something before sending.',
  BODY_TOO_LONG: 'A message can be at most 4,000 characters. Shorten it or split it in two.',
  INVALID_CURSOR: 'The app lost its place in the conversation. Reload the page.',
  INVALID_USERNAME: 'Usernames are 3–32 characters: a–z, 0–9, “_”, “.” and “-”.',
  // The server says WEAK_PASSWORD both for a short password and for a guessable one; the form checks the length
  // itself first (auth.tooShort), so these words are about guessing and never claim the password is too short.
  WEAK_PASSWORD:
    'That password is too easy to guess (a repetition, a run like “abcd1234”, a keyboard pattern or a date). Choose a longer or less regular one.',
  PASSWORD_TOO_COMMON: 'That password is one of the most common ones — choose another.',
  PASSWORD_CONTAINS_USERNAME: 'Your password may not contain your username.',
  INVALID_PASSWORD_CHARACTERS: 'Your password may not be only spaces or contain invisible characters.',
  INVALID_EMOJI: 'A reaction is a single emoji.',
  INVALID_DISPLAY_NAME: 'A display name is 1–64 visible characters, and may not be someone else’s username.',
  PAYLOAD_TOO_LARGE: 'That is too much to send at once.',
  UNSUPPORTED_MEDIA_TYPE: 'The app sent something the server could not read. Reload the page and try again.',
  AUTH_REQUIRED: 'Please log in.',
  INVALID_CREDENTIALS: 'Wrong username or password.',
  SESSION_REVOKED: 'You were logged out (from another device, or your password changed). Please log in again.',
  ACCOUNT_DELETED: 'This account was deleted.',
  CSRF_FAILED: 'Your session could not be confirmed. Reload the page and try again.',
  ORIGIN_FORBIDDEN: 'This page may not connect to the server. Open hubbub from its own address.',
  FORBIDDEN: 'You are not allowed to do that.',
  NOT_A_MEMBER: 'You are not a member of this conversation.',
  NOT_OWNER: 'Only the group’s owner can do that.',
  NOT_YOUR_MESSAGE: 'You can only edit your own messages; deleting someone else’s needs a moderator or owner.',
  EDIT_WINDOW_PASSED: 'This message is too old to edit.',
  FRIENDSHIP_REQUIRED: 'You can only do that with a friend.',
  USER_NOT_FOUND: 'There is no such user.',
  CONVERSATION_NOT_FOUND: 'That conversation no longer exists.',
  MESSAGE_NOT_FOUND: 'That message no longer exists.',
  FRIEND_REQUEST_NOT_FOUND: 'That friend request is no longer waiting.',
  NOT_FOUND: 'Not found.',
  USERNAME_TAKEN: 'That username is taken — try another.',
  ALREADY_FRIENDS: 'You are already friends.',
  FRIEND_REQUEST_EXISTS: 'A friend request between you is already waiting.',
  ALREADY_MEMBER: 'That person is already a member.',
  NAME_TAKEN: 'A room with that name exists.',
  MESSAGE_DELETED: 'That message was deleted.',
  TOO_MANY_REACTIONS: 'This message has as many different reactions as it can; add yours to one of them.',
  INVALID_OPERATION: 'That cannot be done in this conversation.',
  CURSOR_EXPIRED: 'You were away for a while. Reload the page to catch up.',
  TOO_MANY_CONNECTIONS: 'Too many windows are connected to this account. Close one and try again.',
  SERVER_BUSY: 'The server is busy. Try again in a moment.',
  RATE_LIMITED: 'Too many attempts. Wait a minute and try again.',
  LOGIN_THROTTLED: 'Too many attempts for this account. Wait a little and try again.',
  SLOW_CONSUMER: 'The connection fell behind; reconnecting.',
  SHUTTING_DOWN: 'The server is restarting; reconnecting.',
  INTERNAL: 'Something went wrong on the server. Try again.',
  STORE_UNAVAILABLE: 'The server cannot reach its database right now; nothing was changed. Try again shortly.',
  STORAGE_FULL: 'The server’s disk is full; nothing was changed. Try again later.',
  STREAM_AUTH_REQUIRED: 'Please log in.',
  MULTIPART_REQUIRED: 'The file could not be sent. Try again.',
  TOO_MANY_FILES: 'Send one file at a time.',
  FILE_EMPTY: 'The file is empty.',
  FILE_TOO_LARGE: 'The file is larger than this server accepts.',
  IMAGE_UNREADABLE: 'That image cannot be read.',
  IMAGE_TOO_LARGE: 'That image has too many pixels for this server.',
  UPLOAD_QUOTA_EXCEEDED: 'Your file storage is full; delete some messages with files first.',
  FILE_STORAGE_FULL: 'The server has no room for more files.',
  ATTACHMENT_NOT_FOUND: 'That file is no longer in this conversation.',
  ATTACHMENT_ALREADY_SENT: 'That file was already sent with another message; attach it again.',
  TOO_MANY_ATTACHMENTS: 'A message can carry at most 10 files.',
  INVALID_SEARCH: 'Type 1–200 characters to search, or pick a filter.',
  RANGE_NOT_SATISFIABLE: 'The file could not be loaded. Try again.',
  UNKNOWN_FRAME_TYPE: 'The app and the server do not understand each other. Reload the page.',
  BINARY_FRAME: 'The app and the server do not understand each other. Reload the page.',
  TOO_MANY_BAD_FRAMES: 'The app and the server do not understand each other. Reload the page.',
  ERROR: 'Something went wrong. Try again.',
  NETWORK: 'No connection to the server. Check your network and try again.',
  TIMEOUT: 'The server did not answer in time. Try again.',
  DISCONNECTED: 'The connection was lost; reconnecting.',
  CLOSED: 'The connection was closed.',
  ABORTED: 'Cancelled.',
  NO_TRANSPORT: 'This browser cannot connect to the server.',
};

export default errorsEn;
