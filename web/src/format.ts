/** Display helpers: times, days, names, avatar colours — dates and times through Intl in the active locale. */
import { activeLocale, t, type Locale } from './i18n';

type Formats = Record<'time' | 'weekday' | 'shortDate' | 'longDay' | 'longDayYear' | 'full', Intl.DateTimeFormat>;
const formats = new Map<string, Formats>();

/**
 * The tag Intl formats with: the reader's own regional English (en-GB writes
 * 14:03, en-US 2:03 PM) when the app is in English; zh-CN as it is, since
 * another Chinese tag would mix Traditional characters into a Simplified app.
 * On the server (no navigator) the app's locale itself.
 */
export function intlTag(locale: Locale): string {
  if (locale !== 'en' || typeof navigator === 'undefined') return locale;
  return (navigator.languages ?? []).find((tag) => /^en(-|$)/i.test(tag)) ?? locale;
}

/** Intl formatters for a locale, made once (making one costs more than formatting with it). */
function fmt(app: Locale): Formats {
  const locale = intlTag(app);
  let f = formats.get(locale);
  if (!f) {
    f = {
      time: new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }),
      weekday: new Intl.DateTimeFormat(locale, { weekday: 'short' }),
      shortDate: new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' }),
      longDay: new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long' }),
      longDayYear: new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
      full: new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' }),
    };
    formats.set(locale, f);
  }
  return f;
}

export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

export function clockTime(iso: string, locale: Locale = activeLocale()): string {
  return fmt(locale).time.format(new Date(iso));
}

export function fullTime(iso: string, locale: Locale = activeLocale()): string {
  return fmt(locale).full.format(new Date(iso));
}

/** "Today", "Yesterday", "Monday 3 March" (今天, 昨天, 3月3日星期一) — the separators in a message list. */
export function dayLabel(iso: string, now = new Date(), locale: Locale = activeLocale()): string {
  const d = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(d)) / 86_400_000);
  if (days === 0 || days === 1) {
    // Intl's relative format says "today" / "今天" in the locale itself.
    const word = new Intl.RelativeTimeFormat(intlTag(locale), { numeric: 'auto' }).format(-days, 'day');
    return word.charAt(0).toLocaleUpperCase(locale) + word.slice(1);
  }
  return (d.getFullYear() === now.getFullYear() ? fmt(locale).longDay : fmt(locale).longDayYear).format(d);
}

/** Compact time for a contact list: 14:03, Mon, 3 Mar (14:03, 周一, 3月3日). */
export function shortWhen(iso: string, now = new Date(), locale: Locale = activeLocale()): string {
  const d = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(d)) / 86_400_000);
  if (days === 0) return fmt(locale).time.format(d);
  if (days < 7) return fmt(locale).weekday.format(d);
  return fmt(locale).shortDate.format(d);
}

/** "Last seen 5 minutes ago" in the active locale (Intl.RelativeTimeFormat). */
export function lastSeenText(iso: string | null, now = Date.now(), locale: Locale = activeLocale()): string {
  if (!iso) return t('common.offline');
  const mins = Math.round((now - Date.parse(iso)) / 60_000);
  if (mins < 1) return t('time.lastSeenNow');
  const rel = new Intl.RelativeTimeFormat(intlTag(locale), { numeric: 'always', style: 'short' });
  const hours = Math.round(mins / 60);
  let when: string;
  if (mins < 60) when = rel.format(-mins, 'minute');
  else if (hours < 24) when = rel.format(-hours, 'hour');
  else when = shortWhen(iso, new Date(now), locale);
  return t('time.lastSeen', { when });
}

/**
 * Day and time in UTC for the server-rendered pages, built without Intl so
 * the server and the hydrating browser produce the same text whatever ICU
 * each has (web/src/timeline.ts explains the zone rule).
 */
const WEEKDAYS_EN = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS_EN = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS_ZH = '日一二三四五六';
const pad = (n: number) => String(n).padStart(2, '0');

export function utcDayLabel(iso: string, locale: Locale): string {
  const d = new Date(iso);
  if (locale === 'zh-CN') return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 星期${WEEKDAYS_ZH[d.getUTCDay()]}`;
  return `${WEEKDAYS_EN[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS_EN[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

export function utcClockTime(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

export function utcFullTime(iso: string, locale: Locale): string {
  return `${utcDayLabel(iso, locale)}${locale === 'zh-CN' ? ' ' : ', '}${utcClockTime(iso)}`;
}

export function initials(name: string): string {
  // Words that start with a letter or digit (emoji and punctuation make poor initials).
  const words = name
    .trim()
    .split(/[\s._-]+/)
    .filter(Boolean);
  const lettered = words.filter((w) => /^[\p{L}\p{N}]/u.test(w));
  const parts = lettered.length ? lettered : words;
  const first = [...(parts[0] ?? '?')][0] ?? '?';
  const second = parts.length > 1 ? ([...parts[parts.length - 1]!][0] ?? '') : '';
  return (first + second).toUpperCase();
}

const PALETTE = ['#6366f1', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#ec4899', '#8b5cf6', '#14b8a6', '#f97316', '#64748b'];

export function colorFor(key: string): string {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

/** One line of a message for previews and notifications. */
export function preview(body: string, max = 80): string {
  const line = body.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : line;
}

/** A file size as people read it: 1023 B, 1.5 KB, 25 MB (powers of 1024, at most one decimal). */
export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  const shown = Math.round(n * 10) / 10;
  return `${Number.isInteger(shown) ? shown : shown.toFixed(1)} ${units[u]}`;
}

/** One line for a message in lists and notifications: its text, or what files it carries. */
export function messagePreview(m: { body: string; attachments?: ReadonlyArray<{ name: string; type: string }> }, max = 80): string {
  const files = m.attachments ?? [];
  if (!files.length) return preview(m.body, max);
  if (m.body.trim()) return `📎 ${preview(m.body, max - 2)}`;
  if (files.every((f) => f.type.startsWith('image/')))
    return files.length === 1 ? t('messages.photo') : `🖼 ${t('common.photos', files.length)}`;
  return files.length === 1 ? `📎 ${preview(files[0]!.name, max - 2)}` : `📎 ${t('common.files', files.length)}`;
}

/** A reply's quote of its original: its text, or — a message may have no text only when it has files — what it carries. */
export function quoteText(preview: string): string {
  return preview || t('composer.files');
}

/** Numeric comparison of the server's string ids. */
export function idLess(a: string, b: string): boolean {
  if (a.length !== b.length) return a.length < b.length;
  return a < b;
}

/** "You, Bob, Carol" / "我、Bob、Carol": names as a list, with the locale's separator (Intl's unit lists drop it in Chinese). */
export function listText(items: readonly string[], locale: Locale = activeLocale()): string {
  return items.join(locale === 'zh-CN' ? '、' : ', ');
}
