import { createI18n } from 'vue-i18n';
import en from './en';
import zhCN from './zh-CN';
import errorsEn, { type ErrorTexts } from './errors-en';
import errorsZhCN from './errors-zh-CN';
import { DEFAULT_LOCALE, isLocale, pickLocale, type Locale } from './locale';

export { LOCALES, isLocale, pickLocale, localeForAcceptLanguage, type Locale } from './locale';

/**
 * The app's languages: English and Simplified Chinese (vue-i18n, Composition
 * API). One instance for the browser (`i18n`, installed in every app main.ts
 * mounts); the server bundle makes one per render (`makeI18n`), so two
 * requests in two languages never share a locale.
 *
 * Which language: the reader's own choice (the language menu, kept in
 * localStorage), else the language the server rendered the page in (it
 * marks <html data-server-lang>, so hydration starts from the same words),
 * else navigator.languages.
 */
export const MESSAGES = { en, 'zh-CN': zhCN } as const;
export const ERROR_TEXTS: Record<Locale, ErrorTexts> = { en: errorsEn, 'zh-CN': errorsZhCN };

const STORAGE_KEY = 'hubbub.locale';

export function makeI18n(locale: Locale) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: DEFAULT_LOCALE,
    messages: MESSAGES,
    // Every key exists in both languages (test/unit/web-i18n.test.ts): a miss is a bug, not a fallback to log.
    missingWarn: false,
    fallbackWarn: false,
  });
}

export const i18n = makeI18n(DEFAULT_LOCALE);

/** The browser's active locale (reactive: a computed that reads it follows a change). */
export function activeLocale(): Locale {
  const l = i18n.global.locale.value;
  return isLocale(l) ? l : DEFAULT_LOCALE;
}

/** Translates with the browser's instance: for code outside components (toasts, document.title). */
export function t(key: string, params?: Record<string, unknown> | number, plural?: number): string {
  const g = i18n.global;
  if (typeof params === 'number') return g.t(key, params);
  if (plural !== undefined) return g.t(key, params ?? {}, plural);
  return g.t(key, params ?? {});
}

/** Words for a refusal: the table's entry for its code, or the generic one for a code we do not know. */
export function errorText(code: string, locale: Locale = activeLocale()): string {
  const table = ERROR_TEXTS[locale];
  return (table as Record<string, string>)[code] ?? table.ERROR;
}

function storedChoice(): Locale | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isLocale(v) ? v : null;
  } catch {
    return null; // storage disabled: follow the browser
  }
}

/** The language the server rendered this page in, when it did (src/ssr/render.ts). */
export function serverLocale(): Locale | null {
  const v = document.documentElement.dataset.serverLang;
  return isLocale(v) ? v : null;
}

/** Picks and applies the language at start (see the module comment for the order). */
export function initLocale(): Locale {
  const locale = storedChoice() ?? serverLocale() ?? pickLocale(navigator.languages?.length ? navigator.languages : [navigator.language]);
  applyLocale(locale);
  return locale;
}

/** The reader picked a language in the menu: applied now and remembered. */
export function chooseLocale(locale: Locale): void {
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // storage disabled: the choice lasts for this page
  }
  applyLocale(locale);
}

function applyLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  document.documentElement.lang = locale;
}
