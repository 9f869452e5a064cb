import type { HubbubError, Signal, StreamEvent, TransportName } from '../types.js';

/**
 * How a connection ended, which decides what the client does next:
 * - `retry`: reconnect (after a backoff) and resume from the cursor;
 * - `reset`: the cursor cannot be served; take a fresh head, then reconnect;
 * - `fatal`: do not reconnect (bad credentials, forbidden origin).
 * `opened` tells whether the stream was ever established: a transport that
 * never opened may be refused on this network, and the client falls back.
 */
export interface CloseInfo {
  kind: 'retry' | 'reset' | 'fatal';
  opened: boolean;
  error?: HubbubError;
}

/** A WebSocket reply: `{type: "ack", ref, …}` or `{type: "error", ref, error}`. */
export interface Reply {
  type: 'ack' | 'error';
  ref: string | null;
  error?: { code: string; message: string };
  [key: string]: unknown;
}

export interface TransportHandlers {
  /** The stream is live from `cursor` (its hello, or its first answer). */
  open(cursor: string): void;
  event(ev: StreamEvent): void;
  signal(s: Signal): void;
  reply(r: Reply): void;
  /** Called once; the transport is finished after it. */
  close(info: CloseInfo): void;
}

export interface Transport {
  readonly name: TransportName;
  /** Sends a request frame if this transport carries requests and is open (WebSocket). */
  request(frame: Record<string, unknown>): boolean;
  /** Ends the connection without calling `handlers.close`. */
  close(): void;
}

/** Parses one stream record (event or signal) from its JSON text. */
export function dispatchRecord(json: string, h: TransportHandlers): boolean {
  let v: { type?: unknown; cursor?: unknown };
  try {
    v = JSON.parse(json);
  } catch {
    return false;
  }
  if (typeof v !== 'object' || v === null || typeof v.type !== 'string') return false;
  if (typeof v.cursor === 'string') h.event(v as StreamEvent);
  else if (v.type === 'typing' || v.type === 'presence') h.signal(v as Signal);
  return true;
}

/** Close kinds for a server error code carried by a stream. */
/**
 * Codes after which reconnecting as is cannot succeed: the credential is missing, wrong,
 * revoked or its account gone (WebSocket says so by its 45xx close code; SSE and long poll
 * only by the code, so the list is needed there).
 */
const FATAL_CODES = new Set([
  'AUTH_REQUIRED',
  'STREAM_AUTH_REQUIRED',
  'ORIGIN_FORBIDDEN',
  'INVALID_CREDENTIALS',
  'SESSION_REVOKED',
  'ACCOUNT_DELETED',
]);

export function kindForCode(code: string): CloseInfo['kind'] {
  if (code === 'CURSOR_EXPIRED' || code === 'INVALID_CURSOR') return 'reset';
  if (FATAL_CODES.has(code)) return 'fatal';
  return 'retry';
}
