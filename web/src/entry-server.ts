import { createSSRApp } from 'vue';
import { renderToString } from 'vue/server-renderer';
import PublicRoomView from './components/PublicRoomView.vue';
import { makeI18n } from './i18n';
import { localeForAcceptLanguage, type Locale } from './i18n/locale';
import type { Message } from './types';

/**
 * The server's way into the web app (built by `vite build --ssr`, imported by
 * src/ssr): a public room rendered by the component the browser hydrates.
 * Times are rendered in UTC (web/src/timeline.ts); everything user-supplied
 * is escaped by Vue's renderer. The words are in `locale` — one i18n
 * instance per render, so concurrent renders in two languages never mix.
 */
export interface PublicRoomPage {
  roomName: string;
  /** False for a room that does not exist (the page says so). */
  found: boolean;
  messages: Message[];
  rooms: Array<{ name: string; memberCount: number }>;
  memberCount: number;
  /** Whether the browser app is built (otherwise the page carries a note). */
  built: boolean;
  /** The page's language (see `localeFor`); English when absent. */
  locale?: Locale;
}

export function renderPublicRoom(page: PublicRoomPage): Promise<string> {
  const { locale = 'en', ...props } = page;
  const app = createSSRApp(PublicRoomView, { ...props, zone: 'utc' });
  app.use(makeI18n(locale));
  return renderToString(app);
}

/** The page language for a request's Accept-Language: the same rule the browser applies to navigator.languages. */
export function localeFor(acceptLanguage: string | undefined): Locale {
  return localeForAcceptLanguage(acceptLanguage);
}
