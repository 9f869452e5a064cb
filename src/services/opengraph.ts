import { Parser } from 'htmlparser2';

/**
 * What a page says about itself in its <head>: OpenGraph tags first
 * (og:title, og:description, og:site_name, og:image), then Twitter's, then
 * <title> and <meta name="description">. Pure: bytes in, cleaned strings out.
 * Everything it returns is shown to other users, so every string is
 * normalised (NFC), stripped of control and bidi-override characters (a
 * title must not reorder the text around it), collapsed and capped.
 */

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 500;
export const SITE_NAME_MAX = 100;

export interface PageSummary {
  title: string | null;
  description: string | null;
  siteName: string | null;
  /** Absolute http(s) URL of the page's image (resolved against the page's URL), unchecked: fetch it through the guard. */
  image: string | null;
}

/** Where the head ends: the reader stops fetching there (ASCII, so it holds in every charset a page is likely to use). */
export function headEnded(recent: Buffer): boolean {
  return /<\/head|<body/i.test(recent.toString('latin1'));
}

/** Reads the page's head from `bytes` (the body, possibly cut), decoded by `charset` or the page's own <meta charset>. */
export function summarizePage(bytes: Buffer, charset: string | null, pageUrl: URL): PageSummary {
  const tags = new Map<string, string>();
  let title = '';
  let inTitle = false;
  let done = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (done) return;
        if (name === 'body') done = true;
        else if (name === 'title') inTitle = true;
        else if (name === 'meta') {
          const key = (attrs.property ?? attrs.name ?? '').trim().toLowerCase();
          // The first of a kind wins, as in every consumer of OpenGraph (og:image may repeat for alternatives).
          if (key && attrs.content !== undefined && !tags.has(key)) tags.set(key, attrs.content);
        }
      },
      ontext(text) {
        if (inTitle && !done) title += text;
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        else if (name === 'head') done = true;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  const text = decode(bytes, charset);
  // In slices, so the parse stops soon after the head on a page whose bytes were not cut there.
  for (let at = 0; at < text.length && !done; at += 16_384) parser.write(text.slice(at, at + 16_384));
  if (!done) parser.end();

  const pick = (...keys: string[]) => keys.map((k) => tags.get(k)).find((v) => v !== undefined && v.trim() !== '') ?? null;
  return {
    title: clean(pick('og:title', 'twitter:title') ?? title, TITLE_MAX),
    description: clean(pick('og:description', 'twitter:description', 'description'), DESCRIPTION_MAX),
    siteName: clean(pick('og:site_name'), SITE_NAME_MAX),
    image: absoluteHttpUrl(pick('og:image', 'og:image:url', 'og:image:secure_url', 'twitter:image', 'twitter:image:src'), pageUrl),
  };
}

/** The charset the header names, else the one a <meta> in the first 1024 bytes names, else UTF-8. */
function decode(bytes: Buffer, charset: string | null): string {
  const declared =
    charset ?? /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(bytes.subarray(0, 1024).toString('latin1'))?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(declared).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

// C0 and C1 controls (tabs and newlines become spaces), bidi embeddings, overrides and isolates, and marks that reorder.
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** NFC, no control or bidi characters, whitespace collapsed, at most `max` code points ('…' where cut); null when empty. */
export function clean(raw: string | null, max: number): string | null {
  if (raw === null) return null;
  const s = raw.normalize('NFC').replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  if (s === '') return null;
  const points = Array.from(s);
  return points.length <= max
    ? s
    : points
        .slice(0, max - 1)
        .join('')
        .trimEnd() + '…';
}

function absoluteHttpUrl(raw: string | null, base: URL): string | null {
  if (raw === null) return null;
  try {
    const u = new URL(raw.trim(), base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}
