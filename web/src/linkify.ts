/**
 * A message body as tokens — text, links and @mentions — for the views to
 * render as Vue text and element nodes (never as HTML), in the chat and on
 * the server-rendered public rooms alike (PublicRoomView.vue). Pure: no DOM,
 * no Vue (test/unit/web-linkify.test.ts).
 *
 * Only http:, https: and mailto: become links, and only after the URL parser
 * agrees on the scheme; `javascript:`, `data:` and anything else stay text.
 * Every link gets LINK_REL (no opener, no referrer, no endorsement).
 */

export const LINK_REL = 'noopener noreferrer nofollow ugc';

export type Token =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string }
  /** `me`: the mention calls the reader (by name, or @room/@everyone). */
  | { kind: 'mention'; text: string; me: boolean };

/** Bodies are bounded (4,000 characters); past this much, the rest is one text token, so a hostile body costs little. */
const MAX_SCAN = 8_000;
const SCHEMES = new Set(['http:', 'https:', 'mailto:']);

// A URL with an explicit scheme (or www.), a mail address after mailto:, or a mention token (the server's rule: src/domain/mentions.ts).
const PATTERN =
  /(\b(?:https?:\/\/(?!\/)|www\.)[^\s<>"'`\p{Cc}]+)|(\bmailto:[^\s<>"'`\p{Cc}@]+@[^\s<>"'`\p{Cc}]+)|((?<![a-z0-9_.@-])@[a-z0-9_.-]+)/giu;

/** Punctuation that ends a sentence rather than the URL ("see https://x.example."). */
function trimUrl(raw: string): string {
  let s = raw;
  for (;;) {
    const last = s[s.length - 1];
    if (!last) return s;
    if ('.,;:!?*'.includes(last)) s = s.slice(0, -1);
    else if (last === ')' && count(s, '(') < count(s, ')')) s = s.slice(0, -1);
    else if (last === ']' && count(s, '[') < count(s, ']')) s = s.slice(0, -1);
    else return s;
  }
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** The href for `text` when it is a safe link, or null. */
export function safeHref(text: string): string | null {
  const candidate = /^www\./i.test(text) ? `https://${text}` : text;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (!SCHEMES.has(url.protocol)) return null;
  if (url.protocol !== 'mailto:' && !url.hostname) return null;
  return url.href;
}

export interface MentionContext {
  /** Lower-cased usernames the server resolved as mentions of this message. */
  names: ReadonlySet<string>;
  /** The server honoured @room/@everyone in this message. */
  all: boolean;
  /** The reader's username, lower-cased (null when nobody is logged in). */
  me: string | null;
}

const NO_MENTIONS: MentionContext = { names: new Set(), all: false, me: null };

export function tokenize(body: string, mentions: MentionContext = NO_MENTIONS): Token[] {
  const out: Token[] = [];
  const scanned = body.length > MAX_SCAN ? body.slice(0, MAX_SCAN) : body;
  let at = 0;
  const text = (t: string) => {
    if (!t) return;
    const prev = out[out.length - 1];
    if (prev?.kind === 'text') out[out.length - 1] = { kind: 'text', text: prev.text + t };
    else out.push({ kind: 'text', text: t });
  };
  for (const m of scanned.matchAll(PATTERN)) {
    const start = m.index;
    let raw = m[0];
    let token: Token | null = null;
    if (m[3]) {
      const name = raw.slice(1).toLowerCase();
      const bare = name.replace(/[.-]+$/, '');
      const everyone = bare === 'room' || bare === 'everyone';
      const hit = everyone ? mentions.all : mentions.names.has(name) ? name : mentions.names.has(bare) ? bare : null;
      if (hit) {
        if (!everyone && hit === bare) raw = raw.slice(0, 1 + bare.length);
        token = { kind: 'mention', text: raw, me: everyone || hit === mentions.me };
      }
    } else {
      raw = trimUrl(raw);
      const href = safeHref(raw);
      if (href) token = { kind: 'link', text: raw, href };
    }
    if (!token) continue;
    text(scanned.slice(at, start));
    out.push(token);
    at = start + raw.length;
  }
  text(body.slice(at));
  return out;
}
