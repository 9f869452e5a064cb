import { HAS_FILE, HAS_LINK, type ParsedQuery, conversationMarker, matchesQuery, parseQuery, senderMarker } from '../domain/search-text.js';
import { idOrNone } from '../domain/ids.js';
import type { MessageRow } from './message-rows.js';
import { type Int, truthy } from './rows.js';
import type { SearchQuery } from './store.js';

/**
 * One search, as both stores run it. The index (FTS5 rows in SQLite, a text[]
 * with GIN in PostgreSQL) holds each message's terms and markers
 * (search-text.ts documentTerms); a search asks it for the messages that have
 * every required term and at least one of the user's conversations' markers,
 * newest first, in batches. Each candidate then passes `accepts` here —
 * within one of the user's membership spans by its position, inside the date
 * bounds, its CJK runs adjacent — until the page is full. The index narrows
 * the candidates to the user's conversations, so few are turned away (only
 * those outside a span: before joining, after leaving).
 */

export interface SpanRow {
  conv_id: Int;
  joined_seq: Int;
  left_seq: Int | null;
}

export interface SearchPlan {
  /** Terms every match has (the text's, and the sender and has: markers). */
  all: string[];
  /** Markers of which a match has one (the user's conversations, or the one asked for). */
  any: string[];
  /** Those conversations' ids, in the same order. */
  convIds: string[];
  accepts(row: MessageRow): boolean;
}

/** Null when nothing can match: no conversation to search, or text with no searchable term (only emoji, punctuation). */
export function planSearch(q: SearchQuery, spans: readonly SpanRow[]): SearchPlan | null {
  const parsed: ParsedQuery = parseQuery(q.text);
  if (q.text.trim() !== '' && parsed.terms.length === 0) return null;
  const byConv = new Map<string, Array<{ from: number; to: number }>>();
  for (const s of spans) {
    const conv = String(s.conv_id);
    if (q.conversationId != null && conv !== q.conversationId) continue;
    const list = byConv.get(conv) ?? [];
    list.push({ from: Number(s.joined_seq), to: s.left_seq == null ? Number.POSITIVE_INFINITY : Number(s.left_seq) });
    byConv.set(conv, list);
  }
  if (byConv.size === 0) return null;
  const all = [...parsed.terms];
  if (q.senderId != null) all.push(senderMarker(q.senderId));
  if (q.has === 'file') all.push(HAS_FILE);
  if (q.has === 'link') all.push(HAS_LINK);
  return {
    all,
    any: [...byConv.keys()].map(conversationMarker),
    convIds: [...byConv.keys()],
    accepts(row) {
      // A message without a recorded position (its event was pruned before positions were kept) is in no span we can prove.
      if (row.seq == null || truthy(row.deleted)) return false;
      const seq = Number(row.seq);
      if (!byConv.get(String(row.conv_id))?.some((s) => s.from <= seq && seq <= s.to)) return false;
      if (q.before != null && !(row.created_at < q.before)) return false;
      if (q.after != null && !(row.created_at > q.after)) return false;
      return matchesQuery(row.body, parsed);
    },
  };
}

/** Candidates fetched per round at first; each further round doubles it up to the cap. */
const FIRST_BATCH = 50;
const MAX_BATCH = 2_000;
/** Candidates the broad walk may turn away before the narrow one takes over. */
const BROAD_PROBE = 1_000;

/** Index candidates with ids below `beforeId`, newest first, at most `n`. */
export type Fetch = (beforeId: number, n: number) => Promise<MessageRow[]> | MessageRow[];

/**
 * Walks the index newest first from `beforeId` and keeps the candidates the
 * plan accepts, until `limit` or the end of the candidates. Two walks, one
 * after the other, because neither is fast for every query:
 * - `broad` matches the required terms alone (or, with none, lists the
 *   user's conversations by id): the cheapest walk when the terms are common
 *   in the user's conversations or rare everywhere, but one that would turn
 *   away nearly every candidate of a term common only elsewhere;
 * - `narrow` also makes the index intersect with the user's conversations'
 *   markers: a cost per candidate, but no candidate outside them.
 * The broad walk runs until it has turned away BROAD_PROBE candidates; then
 * the narrow one goes on from where it stopped.
 */
export async function collect(
  plan: SearchPlan,
  beforeId: string | null,
  limit: number,
  walks: { broad: Fetch; narrow: Fetch },
): Promise<MessageRow[]> {
  const out: MessageRow[] = [];
  let cursor = beforeId == null ? Number.MAX_SAFE_INTEGER : Number(idOrNone(beforeId));
  let n = Math.max(FIRST_BATCH, limit * 2);
  let refused = 0;
  for (;;) {
    const fetch = refused < BROAD_PROBE ? walks.broad : walks.narrow;
    const rows = await fetch(cursor, n);
    for (const r of rows) {
      if (plan.accepts(r)) out.push(r);
      else refused++;
      if (out.length >= limit) return out;
    }
    if (rows.length < n) return out;
    cursor = Number(rows.at(-1)!.id);
    n = Math.min(n * 2, MAX_BATCH);
  }
}
