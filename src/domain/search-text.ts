import { stemmer } from 'stemmer';

/**
 * Search text: what a message is indexed under, what a query looks for, where
 * the hits are in a body. Pure, and the one place these rules live: both
 * stores index and query the term strings computed here, so SQLite and
 * PostgreSQL find the same messages by construction.
 *
 * - Latin (and every other spaced script): words, case-folded, NFKC, without
 *   diacritics, stemmed (`stemmer`: running → run, messages → messag).
 *   Numbers are words.
 * - CJK (Han, Hiragana, Katakana, Hangul), written without spaces: each run
 *   as overlapping bigrams plus single characters, so 消息 finds 这是一条消息.
 *   A query run of 3+ characters is its bigrams; that they are adjacent in
 *   the body (一条消 is not 一条…条消) is checked by matchesQuery.
 * - Emoji, punctuation and symbols separate words and are not indexed.
 */

/** Characters of one term at most: a 4,000-character "word" indexes as its start (and a query the same way). */
const MAX_TERM = 64;
/** CJK scripts, plus the prolonged-sound and iteration marks that live inside their words. */
const CJK = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\u30FC\u3005]/u;
const WORD = /[\p{L}\p{N}]/u;
/** A base character with its combining marks (half-width kana sound marks too): normalized as one. */
const CLUSTER = /[^\p{M}\uFF9E\uFF9F][\p{M}\uFF9E\uFF9F]*|[\p{M}\uFF9E\uFF9F]+/gu;

/** Index terms no typed word can produce: a private-use character never survives normalization into a term. */
const MARK = '\uE000';

interface Segment {
  kind: 'word' | 'cjk';
  /** Normalized characters (code points). */
  chars: string[];
  /** For each normalized character, its [start, end) in the original text (UTF-16). */
  spans: Array<[number, number]>;
}

/** Case-folded NFKC; outside CJK also without diacritics (café = cafe). */
function normalizeCluster(cluster: string): string {
  const c = cluster.normalize('NFKC');
  if (CJK.test(c)) return c;
  return c.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
}

/**
 * A lone ASCII character normalizes to its lower case (NFKC and NFD leave it
 * as it is): the common case skips two normalizations and three Unicode
 * regexes per character (a 4,000-character body took 3.4 ms to index).
 */
function asciiOrNormalized(cluster: string): string {
  return cluster.length === 1 && cluster < '\x80' ? cluster.toLowerCase() : normalizeCluster(cluster);
}
const asciiKind = (ch: string): 'word' | null => ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ? 'word' : null);

/** The text as word and CJK segments, each normalized character mapped back to where it came from. */
function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let cur: Segment | null = null;
  for (const m of text.matchAll(CLUSTER)) {
    const span: [number, number] = [m.index, m.index + m[0].length];
    for (const ch of asciiOrNormalized(m[0])) {
      const kind = ch.length === 1 && ch < '\x80' ? asciiKind(ch) : CJK.test(ch) ? 'cjk' : WORD.test(ch) ? 'word' : null;
      if (kind === null) {
        cur = null;
        continue;
      }
      if (!cur || cur.kind !== kind) out.push((cur = { kind, chars: [], spans: [] }));
      cur.chars.push(ch);
      cur.spans.push(span);
    }
  }
  return out;
}

const wordTerm = (chars: string[]): string => stemmer(chars.slice(0, MAX_TERM).join(''));

function cjkTerms(chars: string[], withSingles: boolean): string[] {
  const out: string[] = [];
  if (withSingles || chars.length === 1) out.push(...chars);
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

/** A body's search terms, space-separated, each once (stores index exactly this string). */
export function indexTerms(body: string): string {
  const terms = new Set<string>();
  for (const s of segments(body)) {
    if (s.kind === 'word') terms.add(wordTerm(s.chars));
    else for (const t of cjkTerms(s.chars, true)) terms.add(t);
  }
  return [...terms].join(' ');
}

/** What a message is indexed under: its text terms and markers for its conversation, sender, files and link (the filters). */
export function documentTerms(m: { body: string; conversationId: string; senderId: string; hasFile: boolean }): string {
  const markers = [conversationMarker(m.conversationId), senderMarker(m.senderId)];
  if (m.hasFile) markers.push(HAS_FILE);
  if (firstLink(m.body) !== null) markers.push(HAS_LINK);
  const text = indexTerms(m.body);
  return text ? `${text} ${markers.join(' ')}` : markers.join(' ');
}
export const conversationMarker = (id: string): string => `${MARK}c${id}`;
export const senderMarker = (id: string): string => `${MARK}u${id}`;
export const HAS_FILE = `${MARK}f`;
/** Messages per position bucket (bucketMarker). */
export const BUCKET_IDS = 16_384;
/**
 * The bucket of message ids a message falls in: PostgreSQL's index rows carry
 * it so that a GIN search can be confined to the newest ids first (a GIN index
 * cannot return rows in id order). SQLite's FTS5 walks ids in order and needs
 * none; no query term ever matches it by accident.
 */
export const bucketMarker = (bucket: number): string => `${MARK}b${bucket}`;
export const bucketOf = (messageId: number): number => Math.floor(messageId / BUCKET_IDS);
export const HAS_LINK = `${MARK}l`;

export interface ParsedQuery {
  /** Every one must be among a message's terms (AND). Empty: the query has no searchable text. */
  terms: string[];
  /** Normalized CJK runs of 2+ characters that must occur contiguously (matchesQuery). */
  runs: string[];
  /** Stems of the query's words (to highlight every word of the body with one of them). */
  words: string[];
}

export function parseQuery(text: string): ParsedQuery {
  const terms = new Set<string>();
  const runs = new Set<string>();
  const words = new Set<string>();
  for (const s of segments(text)) {
    if (s.kind === 'word') {
      const t = wordTerm(s.chars);
      terms.add(t);
      words.add(t);
    } else {
      for (const t of cjkTerms(s.chars, false)) terms.add(t);
      runs.add(s.chars.join(''));
    }
  }
  return { terms: [...terms], runs: [...runs], words: [...words] };
}

/** The CJK runs of a body, normalized, one per segment. */
const cjkRuns = (body: string): string[] => segments(body).flatMap((s) => (s.kind === 'cjk' ? [s.chars.join('')] : []));

/**
 * Whether a body that has all of the query's terms also has each CJK run of
 * the query contiguously. Both stores filter their index candidates through
 * this one function.
 */
export function matchesQuery(body: string, q: ParsedQuery): boolean {
  const long = q.runs.filter((r) => [...r].length > 2);
  if (long.length === 0) return true;
  const runs = cjkRuns(body);
  return long.every((r) => runs.some((b) => b.includes(r)));
}

/** Where the query's words and runs are in `body`: sorted, merged [start, end) UTF-16 ranges. */
function hits(body: string, q: ParsedQuery): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  const words = new Set(q.words);
  for (const s of segments(body)) {
    if (s.kind === 'word') {
      if (words.has(wordTerm(s.chars))) found.push([s.spans[0]![0], s.spans.at(-1)![1]]);
      continue;
    }
    const text = s.chars.join('');
    for (const run of q.runs) {
      const runChars = [...run];
      for (let at = text.indexOf(run); at !== -1; at = text.indexOf(run, at + 1)) {
        const first = [...text.slice(0, at)].length;
        found.push([s.spans[first]![0], s.spans[first + runChars.length - 1]![1]]);
      }
    }
  }
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Array<[number, number]> = [];
  for (const h of found) {
    const last = merged.at(-1);
    if (last && h[0] <= last[1]) last[1] = Math.max(last[1], h[1]);
    else merged.push([h[0], h[1]]);
  }
  return merged;
}

/** Characters of a snippet at most, ellipses included. */
export const SNIPPET_CHARS = 200;
/** Characters shown before the first hit when the body is cut. */
const LEAD = 60;

const isHigh = (s: string, i: number) => i >= 0 && i < s.length && s.charCodeAt(i) >= 0xd800 && s.charCodeAt(i) <= 0xdbff;

/**
 * The body around its first hit, at most SNIPPET_CHARS characters with '…'
 * where cut, and the hits as UTF-16 [start, end) offsets into the snippet.
 * Without a hit (a filters-only search), the body's start.
 */
export function snippet(body: string, query: string | ParsedQuery): { snippet: string; highlights: Array<[number, number]> } {
  const q = typeof query === 'string' ? parseQuery(query) : query;
  const found = hits(body, q);
  let start = found.length > 0 ? Math.max(0, found[0]![0] - LEAD) : 0;
  if (start > 0 && body.length - start < SNIPPET_CHARS - 1) start = Math.max(0, body.length - (SNIPPET_CHARS - 1));
  if (isHigh(body, start - 1)) start--; // never begin on the second half of a pair
  const prefix = start > 0 ? '…' : '';
  let end = body.length;
  let suffix = '';
  if (end - start > SNIPPET_CHARS - prefix.length) {
    end = start + SNIPPET_CHARS - prefix.length - 1;
    if (isHigh(body, end - 1)) end--;
    suffix = '…';
  }
  const shift = prefix.length - start;
  const highlights = found
    .filter(([a, b]) => b > start && a < end)
    .map(([a, b]): [number, number] => [Math.max(a, start) + shift, Math.min(b, end) + shift]);
  return { snippet: prefix + body.slice(start, end) + suffix, highlights };
}

const URL_CANDIDATE = /\bhttps?:\/\/(?!\/)[^\s<>"'`\p{Cc}]+/giu;

/** Sentence punctuation after a URL ("see https://x.example.") and unbalanced closing brackets are not part of it. */
function trimUrl(raw: string): string {
  let s = raw;
  const count = (ch: string) => s.split(ch).length - 1;
  for (;;) {
    const last = s.at(-1);
    if (last === undefined) return s;
    if ('.,;:!?*'.includes(last)) s = s.slice(0, -1);
    else if (last === ')' && count('(') < count(')')) s = s.slice(0, -1);
    else if (last === ']' && count('[') < count(']')) s = s.slice(0, -1);
    else return s;
  }
}

/** The first http(s) URL of a body, as the URL parser writes it (has:link, link previews), or null. */
export function firstLink(body: string): string | null {
  for (const m of body.matchAll(URL_CANDIDATE)) {
    try {
      const url = new URL(trimUrl(m[0]));
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) return url.href;
    } catch {
      // not a URL after all: try the next candidate
    }
  }
  return null;
}
