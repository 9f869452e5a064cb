import type { ErrorCode } from '../domain/errors.js';
import type { LogEntry } from './event-log.js';

/**
 * What the hub sees of a live connection: something to deliver to. It never
 * learns which transport is behind it.
 */
export interface Subscriber {
  readonly userId: string;
  /** A label for metrics only ("ws", "sse", "longpoll"); the hub never branches on it. */
  readonly kind: string;
  /**
   * The credential (token hash) the connection was opened with: revoking it
   * closes the connection (see control.ts). Absent: closed only when every
   * credential of the user is revoked or the account is deleted. Sessions get
   * theirs from `Hub.open`.
   */
  readonly credential?: string | null;
  /** Entries of the user's stream, in position order, each after the last delivered. */
  deliver(entries: readonly LogEntry[]): void;
  /** A live-only frame (typing, presence). */
  signal(frame: string): void;
  /**
   * Ends the subscription from the server side (slow consumer, shutdown,
   * revoked credential, deleted account): the connection is closed with
   * `code` and the subscriber detaches itself. One without it is detached by
   * the hub and left to finish on its own.
   */
  close?(code: ErrorCode): void;
}

/**
 * The transport's side of a session: how frames become bytes, how bytes reach
 * the peer and how the connection ends. The session never learns more.
 */
export interface Wire {
  /** A label for metrics only ("ws", "sse"). */
  readonly kind: string;
  /** A stored event's bytes on this transport, made once per entry and shared by every session. */
  encode(entry: LogEntry): Buffer;
  /** A control or live-only frame (JSON text) on this transport. */
  encodeFrame(json: string): Buffer;
  /** Writes `data`; `done` runs once the bytes have left user-space buffers, or the write failed. */
  write(data: Buffer, done: () => void): void;
  /** Ends the connection because of `code` (the transport maps it to its close code or error event). */
  end(code: ErrorCode): void;
}

export interface QueueLimits {
  /**
   * Bytes a session may hold, queued plus handed to the transport and not yet
   * flushed. Pushing past it closes the session as a slow consumer: it
   * resumes from its cursor, so nothing is lost and memory stays bounded.
   */
  maxBytes: number;
  /** Bytes handed to the transport and not yet flushed before further frames wait in the queue. */
  window: number;
}

export interface ReadResult {
  entries: LogEntry[];
  /** Every audience event in (after, position] is in `entries`. */
  position: number;
  more: boolean;
}

/** Sees every ingested batch (metrics, the legacy adapters, the credential cache). */
export type EntryListener = (entries: readonly LogEntry[]) => void;
/** A user's first subscriber arrived on this node (`true`) or the last one left (`false`). */
export type PresenceListener = (userId: string, present: boolean) => void;
