/** Display helpers: times, days, names, avatar colours. */

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const weekdayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const shortDateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const longDayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
const longDayYearFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

export function clockTime(iso: string): string {
  return timeFmt.format(new Date(iso));
}

export function fullTime(iso: string): string {
  return fullFmt.format(new Date(iso));
}

/** "Today", "Yesterday", "Monday 3 March" — the separators in a message list. */
export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(d)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return (d.getFullYear() === now.getFullYear() ? longDayFmt : longDayYearFmt).format(d);
}

/** Compact time for a contact list: 14:03, Mon, 3 Mar. */
export function shortWhen(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(d)) / 86_400_000);
  if (days === 0) return timeFmt.format(d);
  if (days < 7) return weekdayFmt.format(d);
  return shortDateFmt.format(d);
}

export function lastSeenText(iso: string | null, now = Date.now()): string {
  if (!iso) return 'Offline';
  const mins = Math.round((now - Date.parse(iso)) / 60_000);
  if (mins < 1) return 'Last seen just now';
  if (mins < 60) return `Last seen ${mins} min ago`;
  const hours = Math.round(mins / 60);
  if (hours < 24) return `Last seen ${hours} h ago`;
  return `Last seen ${shortWhen(iso)}`;
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
  if (files.every((f) => f.type.startsWith('image/'))) return files.length === 1 ? '🖼 Photo' : `🖼 ${files.length} photos`;
  return files.length === 1 ? `📎 ${preview(files[0]!.name, max - 2)}` : `📎 ${files.length} files`;
}

/** A reply's quote of its original: its text, or — a message may have no text only when it has files — what it carries. */
export function quoteText(preview: string): string {
  return preview || '📎 Files';
}

/** Numeric comparison of the server's string ids. */
export function idLess(a: string, b: string): boolean {
  if (a.length !== b.length) return a.length < b.length;
  return a < b;
}
