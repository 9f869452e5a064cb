import type { SearchParams, SearchResult } from '../types';

/**
 * Message search, the pure part: what is asked (from the box and the
 * filters), how a snippet's highlight offsets become text parts for <mark>
 * (never HTML), and how results are grouped by conversation. Tested in
 * test/unit/web-search.test.ts; state/search-run.ts asks the server.
 */

/** The server's bound on query text (INVALID_SEARCH past it). */
export const MAX_QUERY = 200;

export interface SearchFilters {
  /** Only the conversation on screen. */
  here: boolean;
  has: 'file' | 'link' | null;
}

/** The request for `query`, or null when there are no words to look for. */
export function searchParams(query: string, filters: SearchFilters, activeId: string | null, cursor?: string): SearchParams | null {
  const q = [...query.trim()].slice(0, MAX_QUERY).join('');
  if (!q) return null;
  const p: SearchParams = { q };
  if (filters.here && activeId) p.in = activeId;
  if (filters.has) p.has = filters.has;
  if (cursor) p.cursor = cursor;
  return p;
}

export interface Part {
  text: string;
  mark: boolean;
}

const isLowSurrogate = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
};

/**
 * `snippet` cut into plain and marked parts at `highlights` ([start, end)
 * UTF-16 offsets). Whatever the offsets — out of order, overlapping, out of
 * range, reversed — the parts put together are the snippet, and a mark never
 * cuts a character in half.
 */
export function highlightParts(snippet: string, highlights: ReadonlyArray<readonly [number, number]>): Part[] {
  const n = snippet.length;
  const ranges: Array<[number, number]> = [];
  for (const h of highlights) {
    let [start, end] = [Math.floor(Number(h[0])), Math.floor(Number(h[1]))];
    if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
    start = Math.max(0, Math.min(n, start));
    end = Math.max(0, Math.min(n, end));
    if (start > 0 && isLowSurrogate(snippet, start)) start--;
    if (end < n && isLowSurrogate(snippet, end)) end++;
    if (end > start) ranges.push([start, end]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  const parts: Part[] = [];
  let at = 0;
  for (const [start, end] of merged) {
    if (start > at) parts.push({ text: snippet.slice(at, start), mark: false });
    parts.push({ text: snippet.slice(start, end), mark: true });
    at = end;
  }
  if (at < n) parts.push({ text: snippet.slice(at), mark: false });
  return parts;
}

export interface ResultGroup {
  conversationId: string;
  results: SearchResult[];
}

/** Results by conversation, the groups in the order of their newest result (the server answers newest first). */
export function groupResults(results: readonly SearchResult[]): ResultGroup[] {
  const groups = new Map<string, ResultGroup>();
  for (const r of results) {
    const id = r.message.conversationId;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { conversationId: id, results: [] }));
    g.results.push(r);
  }
  return [...groups.values()];
}

/** The results so far with the next page after them, each message once. */
export function withPage(prev: readonly SearchResult[], page: readonly SearchResult[]): SearchResult[] {
  const seen = new Set(prev.map((r) => r.message.id));
  return [...prev, ...page.filter((r) => !seen.has(r.message.id))];
}
