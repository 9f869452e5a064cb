import type { Backoff } from './backoff.js';
import type { Reply, Transport } from './transports/transport.js';
import { HubbubError } from './types.js';

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: HubbubError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Requests over the WebSocket, matched to their ack or error by `ref`. A
 * request never outlives its connection: when it closes, every pending one
 * rejects with DISCONNECTED (retryable), and the caller tries again.
 */
export class WsRequests {
  private readonly pending = new Map<string, Pending>();
  private refs = 0;

  constructor(private readonly timeoutMs: number) {}

  nextRef(): string {
    return `r${++this.refs}`;
  }

  /** Resolves to the ack; null when the transport did not take the frame (the caller uses HTTP). */
  send(t: Transport, frame: Record<string, unknown>): Promise<Reply | null> {
    const ref = this.nextRef();
    return new Promise<Reply | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new HubbubError('TIMEOUT', 'No answer over the WebSocket in time.'));
      }, this.timeoutMs);
      this.pending.set(ref, { resolve, reject, timer });
      if (!t.request({ ...frame, ref })) {
        clearTimeout(timer);
        this.pending.delete(ref);
        resolve(null);
      }
    });
  }

  onReply(r: Reply): void {
    if (r.ref === null) return;
    const p = this.pending.get(r.ref);
    if (!p) return;
    this.pending.delete(r.ref);
    clearTimeout(p.timer);
    if (r.type === 'ack') p.resolve(r);
    else p.reject(new HubbubError(r.error?.code ?? 'INTERNAL', r.error?.message ?? 'The request failed.', statusOf(r.error?.code)));
  }

  rejectAll(err: HubbubError): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }
}

/**
 * Error frames carry no HTTP status: the catalog's status for the codes that
 * mean "nothing was done, try again" (an outage answers STORE_UNAVAILABLE or
 * STORAGE_FULL on the socket as over HTTP); everything else is a refusal.
 */
function statusOf(code: string | undefined): number {
  switch (code) {
    case 'RATE_LIMITED':
      return 429;
    case 'STORAGE_FULL':
      return 507;
    case 'INTERNAL':
    case 'SHUTTING_DOWN':
    case 'SLOW_CONSUMER':
    case 'SERVER_BUSY':
    case 'STORE_UNAVAILABLE':
      return 503;
    default:
      return 400;
  }
}

/**
 * The backoff's next delay, but never sooner than the server's Retry-After:
 * the jitter above it keeps clients refused together from returning together.
 */
export function retryDelay(backoff: Backoff, err: HubbubError): number {
  const next = backoff.next();
  return err.retryAfterMs === null ? next : Math.max(next, err.retryAfterMs + next / 2);
}

/** A fresh idempotency key for a request the client may retry. */
export function newClientMsgId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}
