import type { StreamEvent } from '@hubbub/client';

/**
 * The stream's events, held back while a load is on its way.
 *
 * An answer of the REST API reflects the server at the moment it was served,
 * which is at or after the moment it was asked. Events applied while it
 * travels would be older than it, and the answer would overwrite them with
 * older data (a friend list without the friend just accepted). So while a
 * load runs, events wait, and are applied on top of its answer when it is in:
 * those the answer already reflects change nothing (applyEvent is
 * idempotent), the others move it forward. The cost is the stream's events
 * waiting one round trip, only while a load runs.
 */

let holds = 0;
let queued: StreamEvent[] = [];
let handler: (ev: StreamEvent) => void = () => {};

/** Who applies the events (session.ts). */
export function onStreamEvent(fn: (ev: StreamEvent) => void): void {
  handler = fn;
}

export function receive(ev: StreamEvent): void {
  if (holds > 0) queued.push(ev);
  else handler(ev);
}

/**
 * A load that does not answer must not stop the stream: past this the hold
 * is released (the late answer may then set back what events moved on, until
 * the next load). REST calls have no timeout of their own, so this bound is
 * the only one.
 */
const HOLD_MAX_MS = 10_000;

/** Runs `job` (a load and its commit) with the stream held. */
export async function held<T>(job: () => Promise<T>): Promise<T> {
  holds++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    holds--;
    if (holds > 0) return;
    const q = queued;
    queued = [];
    // An event here may start another load: the rest then waits for it, in order.
    for (const ev of q) receive(ev);
  };
  const timer = setTimeout(release, HOLD_MAX_MS);
  try {
    return await job();
  } finally {
    clearTimeout(timer);
    release();
  }
}
