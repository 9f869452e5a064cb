import { describe, expect, test } from 'vitest';
import { ERRORS } from '../../src/domain/errors.js';
import {
  bodyLength,
  classifyFailure,
  COUNTER_FROM,
  failureOf,
  MAX_BODY_CHARS,
  remainingChars,
  setFailure,
  withinLimit,
} from '../../web/src/state/send-failure.js';
import type { ChatMessage } from '../../web/src/types.js';

/** The catalog codes whose refusal changes nothing by waiting: the UI offers "edit", never Retry. */
const REFUSED_FOR_GOOD = [
  'VALIDATION_FAILED',
  'BODY_EMPTY',
  'BODY_TOO_LONG',
  'NOT_A_MEMBER',
  'FRIENDSHIP_REQUIRED',
  'CONVERSATION_NOT_FOUND',
  'ATTACHMENT_NOT_FOUND',
  'ATTACHMENT_ALREADY_SENT',
  'TOO_MANY_ATTACHMENTS',
  'PAYLOAD_TOO_LARGE',
  'MESSAGE_NOT_FOUND',
];

/** Worth trying again unchanged: the server was down, busy, or asked to wait; or we must log in again. */
const LATER = [
  'STORE_UNAVAILABLE',
  'STORAGE_FULL',
  'INTERNAL',
  'SHUTTING_DOWN',
  'SERVER_BUSY',
  'RATE_LIMITED',
  'AUTH_REQUIRED',
  'SESSION_REVOKED',
  'CSRF_FAILED',
];

describe('a failed send: Retry or edit (web/src/state/send-failure.ts)', () => {
  test.each(REFUSED_FOR_GOOD)('%s is refused for good', (code) => {
    const { status } = ERRORS[code as keyof typeof ERRORS];
    expect(classifyFailure(code, status)).toEqual({ kind: 'refused', code });
  });

  test.each(LATER)('%s may succeed later', (code) => {
    const { status } = ERRORS[code as keyof typeof ERRORS];
    expect(classifyFailure(code, status).kind).toBe('retryable');
  });

  test('every catalog code is one or the other by the rule: 4xx refused except 401, 408, 429 and CSRF', () => {
    for (const [code, { status }] of Object.entries(ERRORS)) {
      const later = status >= 500 || status === 401 || status === 429 || code === 'CSRF_FAILED';
      expect(classifyFailure(code, status).kind, code).toBe(later ? 'retryable' : 'refused');
    }
  });

  test("the SDK's own failures (no answer at all) are retryable", () => {
    for (const code of ['NETWORK', 'TIMEOUT', 'DISCONNECTED', 'CLOSED', 'ABORTED']) {
      expect(classifyFailure(code, 0).kind).toBe('retryable');
      expect(classifyFailure(code, undefined).kind).toBe('retryable');
    }
  });

  test('the failure travels on the message; a message not failed has none', () => {
    const m = { state: 'failed' } as ChatMessage;
    setFailure(m, { kind: 'refused', code: 'NOT_A_MEMBER' });
    expect(failureOf(m)).toEqual({ kind: 'refused', code: 'NOT_A_MEMBER' });
    expect(failureOf({ ...m, state: 'pending' } as ChatMessage)).toBeNull();
    expect(failureOf({ state: 'failed' } as ChatMessage)?.kind).toBe('retryable');
  });
});

describe('the 4,000-character limit: a counter near it, nothing cut', () => {
  test('lengths count characters as the server does: trimmed, an emoji is one', () => {
    expect(bodyLength('  héllo  ')).toBe(5);
    expect(bodyLength('👍'.repeat(10))).toBe(10);
  });

  test('no counter far from the limit; characters left near it; negative past it', () => {
    expect(remainingChars('x'.repeat(COUNTER_FROM - 1))).toBeNull();
    expect(remainingChars('x'.repeat(COUNTER_FROM))).toBe(MAX_BODY_CHARS - COUNTER_FROM);
    expect(remainingChars('x'.repeat(MAX_BODY_CHARS))).toBe(0);
    expect(remainingChars('x'.repeat(MAX_BODY_CHARS + 250))).toBe(-250);
    expect(remainingChars('👍'.repeat(MAX_BODY_CHARS))).toBe(0);
  });

  test('within the limit up to exactly 4,000', () => {
    expect(withinLimit('x'.repeat(MAX_BODY_CHARS))).toBe(true);
    expect(withinLimit('x'.repeat(MAX_BODY_CHARS + 1))).toBe(false);
    expect(withinLimit(`  ${'x'.repeat(MAX_BODY_CHARS)}  `)).toBe(true);
  });
});
