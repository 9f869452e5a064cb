import type { ChatMessage } from '../types';

/**
 * Why a message did not go out, and what the user can do about it. A
 * `retryable` failure (no connection, the server busy or down, rate limited,
 * the session to renew) may succeed unchanged: Retry, and it is resent by
 * itself when the connection is back. A `refused` one (the server said no to
 * this message — too long, not a member, not friends, a file gone …) would be
 * refused again: the UI offers "edit" (the text back in the composer) instead.
 */
export interface SendFailure {
  kind: 'retryable' | 'refused';
  /** The server's catalog code (src/domain/errors.ts), or the SDK's NETWORK, TIMEOUT, DISCONNECTED, CLOSED. */
  code: string;
}

/** The server's limit on a message body (BODY_TOO_LONG), in characters as the server counts them. */
export const MAX_BODY_CHARS = 4000;
/** The counter shows from here on: close enough to the limit to matter. */
export const COUNTER_FROM = 3500;

/**
 * The kind of a failed send from its code and HTTP status (status 0: no
 * answer). Every 4xx is a refusal except 408 and 429 (try later) and the
 * ones about credentials (401, CSRF_FAILED): those succeed once logged in
 * again, so the message is kept for them.
 */
export function classifyFailure(code: string, status: number | undefined): SendFailure {
  const s = status ?? 0;
  const later = s === 0 || s >= 500 || s === 408 || s === 429 || s === 401 || code === 'CSRF_FAILED';
  return { kind: later ? 'retryable' : 'refused', code };
}

/** The failure a message carries (send-queue sets it beside `state: 'failed'`), or null. */
export function failureOf(m: ChatMessage): SendFailure | null {
  if (m.state !== 'failed') return null;
  return (m as ChatMessage & { failure?: SendFailure }).failure ?? { kind: 'retryable', code: 'TIMEOUT' };
}

/** Sets `failure` on a failed message (one guarded place until ChatMessage declares the field). */
export function setFailure(m: ChatMessage, failure: SendFailure | undefined): void {
  (m as ChatMessage & { failure?: SendFailure }).failure = failure;
}

/** Characters as the server counts them (code points: an emoji is one). */
export function bodyLength(text: string): number {
  let n = 0;
  for (const _ of text.trim()) n++;
  return n;
}

/**
 * What the composer's counter shows: characters left before the limit
 * (negative past it), or null while far from it.
 */
export function remainingChars(text: string): number | null {
  const n = bodyLength(text);
  return n >= COUNTER_FROM ? MAX_BODY_CHARS - n : null;
}

/** Whether the text is within the limit (Send is disabled past it rather than the text being cut). */
export function withinLimit(text: string): boolean {
  return bodyLength(text) <= MAX_BODY_CHARS;
}
