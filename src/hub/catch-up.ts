import type { ReadResult, Subscriber } from './ports.js';
import type { Session } from './session.js';

/**
 * The most events one synchronous hand-over gives a session (an attach).
 * Event frames are at most ~24 KB (4000 code points, escaped), so a batch
 * stays well below the default queue bound: a healthy client is never closed
 * for a burst it had no chance to read.
 */
export const MAX_HANDOVER = 128;

/** What catching up needs of the hub. */
export interface CatchUpSource {
  readonly limits: { maxBytes: number };
  attach(sub: Subscriber, position: number, maxPending?: number): boolean;
  read(userId: string, after: number, limit: number): Promise<ReadResult>;
}

/**
 * Brings `session` from its position to live: store or memory pages are
 * delivered no faster than its queue drains, then it is attached. A backlog
 * of any length therefore never holds more than the queue bound.
 */
export async function follow(hub: CatchUpSource, session: Session, pageSize = 500): Promise<void> {
  let position = session.lastSeq;
  while (!session.closed) {
    await session.room();
    if (session.closed) return;
    if (hub.attach(session, position, MAX_HANDOVER)) return;
    const page = await hub.read(session.userId, position, pageSize);
    for (const e of page.entries) {
      if (session.bytes > hub.limits.maxBytes / 2) await session.room();
      if (session.closed) return;
      session.deliver([e]);
    }
    position = page.position;
  }
}
