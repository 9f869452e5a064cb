/// <reference types="node" />
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ERRORS } from '../../src/domain/errors.js';
import { EMOJI } from '../../web/src/emoji.js';
import { EMOJI_NAMES_ZH_CN } from '../../web/src/i18n/emoji-zh-CN.js';
import { ERROR_TEXTS, MESSAGES, errorText, i18n, makeI18n } from '../../web/src/i18n/index.js';
import { systemLineText } from '../../web/src/i18n/lines.js';
import { lineText } from '../../web/src/state/lines.js';
import { localeForAcceptLanguage, parseAcceptLanguage, pickLocale } from '../../web/src/i18n/locale.js';
import { dayLabel, intlTag, lastSeenText, listText, utcDayLabel, utcFullTime } from '../../web/src/format.js';

/** The app's two languages are complete, and every key and error code the app uses has words in both. */

const WEB_SRC = path.resolve(import.meta.dirname, '../../web/src');

function flatten(obj: object, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') out[prefix + k] = v;
    else Object.assign(out, flatten(v as object, `${prefix}${k}.`));
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'i18n' ? [] : sourceFiles(p);
    return /\.(ts|vue)$/.test(e.name) ? [p] : [];
  });
}

const en = flatten(MESSAGES.en);
const zh = flatten(MESSAGES['zh-CN']);

describe('message catalogs', () => {
  test('English and Chinese have the same keys, none empty', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of [...Object.entries(en), ...Object.entries(zh)]) expect(v.trim(), k).not.toBe('');
  });

  test('every t(…) / $t(…) key used in web/src exists (static scan)', () => {
    const used = new Map<string, string>();
    for (const file of sourceFiles(WEB_SRC)) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?<![\w.])\$?t\(\s*['"`]([\w.-]+)['"`]/g)) used.set(m[1]!, path.relative(WEB_SRC, file));
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter(([key]) => !(key in en)).map(([key, file]) => `${key} (${file})`);
    expect(missing).toEqual([]);
  });

  test('every message compiles and renders in both languages (no stray @, {, | in the text)', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const { t } = makeI18n(locale).global;
      for (const key of Object.keys(en)) {
        const out = t(
          key,
          {
            n: 2,
            name: 'N',
            q: 'Q',
            what: 'W',
            when: 'T',
            text: 'X',
            a: 'A',
            b: 'B',
            who: 'H',
            emoji: 'E',
            names: 'S',
            members: 'M',
            username: 'U',
            why: 'Y',
            details: 'D',
            command: 'C',
          },
          2,
        );
        expect(out, `${locale} ${key}`).not.toBe(key);
        expect(out, `${locale} ${key}`).not.toMatch(/\{\w+\}/);
      }
    }
  });

  test('plurals: one and many in English, one form in Chinese', () => {
    const enT = makeI18n('en').global.t;
    const zhT = makeI18n('zh-CN').global.t;
    expect(enT('common.members', 1)).toBe('1 member');
    expect(enT('common.members', 5)).toBe('5 members');
    expect(enT('messages.newPill', 1)).toBe('1 new message');
    expect(enT('messages.newPill', 3)).toBe('3 new messages');
    expect(zhT('messages.newPill', 3)).toBe('3 条新消息');
    expect(zhT('common.members', 1)).toBe('1 位成员');
  });
});

describe('error words', () => {
  const catalog = Object.keys(ERRORS);

  test.each(['en', 'zh-CN'] as const)('every code in the server catalog has words in %s', (locale) => {
    const table = ERROR_TEXTS[locale] as Record<string, string>;
    const lacking = catalog.filter((code) => !table[code]?.trim());
    expect(lacking).toEqual([]);
  });

  test('both tables have the same codes', () => {
    expect(Object.keys(ERROR_TEXTS['zh-CN']).sort()).toEqual(Object.keys(ERROR_TEXTS.en).sort());
  });

  test('a password containing the username is said so, not "at least 8 characters"', () => {
    expect(errorText('PASSWORD_CONTAINS_USERNAME', 'en')).toMatch(/username/i);
    expect(errorText('PASSWORD_CONTAINS_USERNAME', 'en')).not.toMatch(/8 characters/);
    expect(errorText('PASSWORD_CONTAINS_USERNAME', 'zh-CN')).toContain('用户名');
    expect(errorText('WEAK_PASSWORD', 'en')).not.toMatch(/username/i);
    // WEAK_PASSWORD also answers a long but guessable password: its words must not claim it is too short.
    expect(errorText('WEAK_PASSWORD', 'en')).not.toMatch(/at least 8/i);
    expect(errorText('WEAK_PASSWORD', 'zh-CN')).not.toMatch(/至少/);
  });

  test('a code the table does not know gets the generic words, never the raw code', () => {
    expect(errorText('HTTP_502', 'en')).toBe(ERROR_TEXTS.en.ERROR);
    expect(errorText('HTTP_502', 'zh-CN')).toBe(ERROR_TEXTS['zh-CN'].ERROR);
  });

  test('the app names no error code that is in neither the catalog nor the client codes', () => {
    const known = new Set(Object.keys(ERROR_TEXTS.en));
    const named = new Set<string>();
    for (const file of sourceFiles(WEB_SRC)) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/code === '([A-Z_]+)'/g)) named.add(m[1]!);
    }
    expect([...named].filter((c) => !known.has(c))).toEqual([]);
  });
});

describe('choosing the language', () => {
  test('navigator.languages: the first Chinese or English tag decides; anything else is English', () => {
    expect(pickLocale(['zh-CN', 'en'])).toBe('zh-CN');
    expect(pickLocale(['zh-TW'])).toBe('zh-CN');
    expect(pickLocale(['zh'])).toBe('zh-CN');
    expect(pickLocale(['en-US', 'zh-CN'])).toBe('en');
    expect(pickLocale(['fr-FR', 'zh-Hans'])).toBe('zh-CN');
    expect(pickLocale(['fr-FR'])).toBe('en');
    expect(pickLocale([])).toBe('en');
    expect(pickLocale(['zhx'])).toBe('en');
  });

  test('Accept-Language honours q-values, drops q=0 and keeps the order of equal weights', () => {
    expect(parseAcceptLanguage('en;q=0.5, zh-CN;q=0.9, fr')).toEqual(['fr', 'zh-CN', 'en']);
    expect(parseAcceptLanguage('zh-CN;q=0, en')).toEqual(['en']);
    expect(parseAcceptLanguage('de, en;q=0.8')).toEqual(['de', 'en']);
    expect(parseAcceptLanguage('')).toEqual([]);
    expect(parseAcceptLanguage('<script>, ;;;, en')).toEqual(['en']);
    expect(localeForAcceptLanguage('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(localeForAcceptLanguage('en-US,en;q=0.9,zh-CN;q=0.8')).toBe('en');
    expect(localeForAcceptLanguage('en;q=0.1, zh;q=0.2')).toBe('zh-CN');
    expect(localeForAcceptLanguage(undefined)).toBe('en');
    expect(localeForAcceptLanguage('*')).toBe('en');
  });
});

describe('dates and times in the active language', () => {
  const now = new Date(2026, 2, 4, 12, 0);
  test('day separators', () => {
    expect(dayLabel(new Date(2026, 2, 4, 9).toISOString(), now, 'en')).toBe('Today');
    expect(dayLabel(new Date(2026, 2, 3, 9).toISOString(), now, 'en')).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 2, 4, 9).toISOString(), now, 'zh-CN')).toBe('今天');
    expect(dayLabel(new Date(2026, 2, 3, 9).toISOString(), now, 'zh-CN')).toBe('昨天');
    expect(dayLabel(new Date(2026, 0, 5, 9).toISOString(), now, 'zh-CN')).toBe('1月5日星期一');
  });

  test('server-rendered UTC labels, without Intl', () => {
    expect(utcDayLabel('2025-03-03T10:00:00Z', 'en')).toBe('Monday 3 March 2025');
    expect(utcDayLabel('2025-03-03T10:00:00Z', 'zh-CN')).toBe('2025年3月3日 星期一');
    expect(utcFullTime('2025-03-03T10:05:00Z', 'zh-CN')).toBe('2025年3月3日 星期一 10:05 UTC');
  });

  test('last seen, relative', () => {
    const at = Date.parse('2026-03-04T12:00:00Z');
    expect(lastSeenText('2026-03-04T11:55:00Z', at, 'en')).toMatch(/5 min/);
  });
});

describe('lists of names', () => {
  test('comma-separated in English, 、 in Chinese', () => {
    expect(listText(['You', 'bob', 'carol'], 'en')).toBe('You, bob, carol');
    expect(listText(['我', 'bob', 'carol'], 'zh-CN')).toBe('我、bob、carol');
  });
});

describe('emoji names', () => {
  test('every emoji of the bar has a Chinese name', () => {
    expect(EMOJI.filter(([e]) => !EMOJI_NAMES_ZH_CN[e]?.trim()).map(([e]) => e)).toEqual([]);
  });
});

describe('Intl follows the reader’s own English', () => {
  afterEach(() => vi.unstubAllGlobals());
  test('en-GB formats with en-GB (24-hour), Chinese always with zh-CN', () => {
    vi.stubGlobal('navigator', { languages: ['fr-FR', 'en-GB', 'en'] });
    expect(intlTag('en')).toBe('en-GB');
    vi.stubGlobal('navigator', { languages: ['zh-TW', 'en-US'] });
    expect(intlTag('zh-CN')).toBe('zh-CN');
    expect(intlTag('en')).toBe('en-US');
    vi.stubGlobal('navigator', { languages: ['zh-CN'] });
    expect(intlTag('en')).toBe('en');
  });
});

describe('system lines', () => {
  const kinds = ['joined', 'left', 'removed', 'renamed', 'owner', 'moderator', 'unmoderator'] as const;
  const lines = kinds.flatMap((kind) =>
    [
      { userId: 'u2', name: 'carol', byId: 'u1', byName: 'alice' },
      { userId: 'u1', name: 'alice', byId: 'u3', byName: 'dora' },
      { userId: 'u2', name: 'carol', byId: null, byName: null },
    ].map((who) => ({ key: kind, afterId: '', kind, text: 'Trip', ...who })),
  );

  test('in English they say what state/lines.ts says', () => {
    i18n.global.locale.value = 'en';
    for (const l of lines) expect(systemLineText(l, 'u1'), l.kind).toBe(lineText(l, 'u1'));
  });

  test('in Chinese, with 你 for the reader', () => {
    i18n.global.locale.value = 'zh-CN';
    const [joinedByOther, joinedMe] = lines;
    expect(systemLineText(joinedByOther!, 'u1')).toBe('你邀请carol加入了');
    expect(systemLineText(joinedMe!, 'u1')).toBe('dora邀请你加入了');
    expect(systemLineText(lines.find((l) => l.kind === 'owner' && l.userId === 'u1')!, 'u1')).toBe('你已成为群主');
    i18n.global.locale.value = 'en';
  });
});

describe('no words outside the catalogs', () => {
  /** Text a reader sees that is not a name: the brand, a command, the initial of the logo. */
  const ALLOWED = new Set(['hubbub', 'h', 'npm run build:web', '#', '@', '·', '↩', '✎']);

  test('component templates have no literal text, aria-label, title or placeholder in a language', () => {
    const found: string[] = [];
    const dir = path.join(WEB_SRC, 'components');
    for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.vue'))) {
      const src = fs.readFileSync(path.join(dir, name), 'utf8');
      const template = /<template>([\s\S]*)<\/template>/.exec(src)?.[1] ?? '';
      const text = template.replace(/\{\{[\s\S]*?\}\}/g, ' ').replace(/<!--[\s\S]*?-->/g, ' ');
      for (const m of text.matchAll(/>([^<>]+)</g)) {
        const words = m[1]!.trim();
        if (words && /\p{L}/u.test(words) && !ALLOWED.has(words)) found.push(`${name}: text "${words}"`);
      }
      for (const m of template.matchAll(/(?<![:\w-])(aria-label|title|placeholder|alt)="([^"]*)"/g)) {
        if (/\p{L}/u.test(m[2]!) && !ALLOWED.has(m[2]!)) found.push(`${name}: ${m[1]}="${m[2]}"`);
      }
    }
    expect(found).toEqual([]);
  });
});
