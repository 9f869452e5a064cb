import type { LogEntry } from '../hub/event-log.js';
import { intParam, strParam } from '../edge/query.js';

/** GET /api/v1/sync on the wire: its parameters and its body, one way for the route and the fast path. */

/** The sync body, built from the entries' shared frames: no per-reader JSON.stringify of events. */
export function syncBody(entries: readonly LogEntry[], cursor: string, more: boolean): string {
  let out = '{"events":[';
  for (let i = 0; i < entries.length; i++) out += (i ? ',' : '') + entries[i]!.frame;
  return out + '],"cursor":"' + cursor + '","more":' + more + '}';
}

/** The parameters of GET /api/v1/sync, read one way for both ways in. */
export interface SyncParams {
  since: string | null;
  /** Seconds to wait for events (0 = answer at once). */
  wait: number;
  limit: number;
}

export const SYNC_KEYS = ['since', 'wait', 'limit'] as const;

/** Checks a sync request's parameters; VALIDATION_FAILED for anything out of range. */
export function syncParams(q: { since?: unknown; wait?: unknown; limit?: unknown }, maxWaitSeconds: number): SyncParams {
  return {
    since: strParam(q.since, 'since', 32),
    wait: intParam(q.wait, 'wait', 0, maxWaitSeconds, 0),
    limit: intParam(q.limit, 'limit', 1, 1000, 100),
  };
}
