/**
 * Which of the app's languages a reader gets. Pure (no browser globals): the
 * browser calls it with navigator.languages, the server (through the SSR
 * bundle, web/src/entry-server.ts) with the request's Accept-Language, so
 * both pick by the same rule and a hydrated page starts in the language the
 * server rendered.
 */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/**
 * The first tag in preference order that names a language we have: any
 * Chinese (zh, zh-CN, zh-Hans, zh-TW…) reads Simplified Chinese — the only
 * Chinese we ship is better than English for a reader of any written Chinese.
 */
export function pickLocale(tags: readonly string[]): Locale {
  for (const raw of tags) {
    const tag = raw.trim().toLowerCase();
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return DEFAULT_LOCALE;
}

/**
 * Language tags of an Accept-Language header, most wanted first (RFC 9110
 * §12.5.4: `q` weights, default 1; q=0 means "not this one"; equal weights
 * keep the header's order). Malformed parts are skipped, never thrown on.
 */
export function parseAcceptLanguage(header: string | undefined | null): string[] {
  if (!header) return [];
  const ranked: Array<{ tag: string; q: number; at: number }> = [];
  header
    .slice(0, 1000)
    .split(',')
    .forEach((part, at) => {
      const [tagPart, ...params] = part.split(';');
      const tag = tagPart?.trim() ?? '';
      if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$|^\*$/.test(tag)) return;
      let q = 1;
      for (const p of params) {
        const m = /^\s*q\s*=\s*([01](\.\d{0,3})?)\s*$/i.exec(p);
        if (m) q = Math.min(1, Number(m[1]));
      }
      if (q > 0) ranked.push({ tag, q, at });
    });
  return ranked.sort((a, b) => b.q - a.q || a.at - b.at).map((r) => r.tag);
}

/** The locale a request's Accept-Language asks for (`*` or nothing we have: English). */
export function localeForAcceptLanguage(header: string | undefined | null): Locale {
  return pickLocale(parseAcceptLanguage(header));
}
