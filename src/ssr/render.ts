import type { Message } from '../domain/types.js';

/**
 * What the server writes around the web app's own rendering (src/ssr/bundle.ts):
 * the head of a public room's page (title, description) and the inert data
 * block the browser hydrates from. The page body is never built from strings
 * here: the Vue components render it, escaping as they go.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON safe inside <script type="application/json">: nothing in it can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function truncate(s: string, n: number): string {
  const chars = [...s.replace(/\s+/g, ' ').trim()];
  return chars.length <= n ? chars.join('') : chars.slice(0, n - 1).join('') + '…';
}

export interface PageHead {
  title: string;
  description: string;
}

/** The languages pages are rendered in (web/src/i18n/locale.ts picks one per request). */
export type PageLocale = 'en' | 'zh-CN';

/** Title and description of a public room's page (`room` null: no such room), in the page's language. */
export function roomHead(room: { name: string } | null, messages: Message[], locale: PageLocale = 'en'): PageHead {
  const zh = locale === 'zh-CN';
  if (!room) {
    return zh
      ? { title: '聊天室不存在 · hubbub', description: '这个 hubbub 服务器上没有这个聊天室。' }
      : { title: 'Room not found · hubbub', description: 'That room does not exist on this hubbub server.' };
  }
  const last = messages[messages.length - 1];
  const quote = last ? truncate(last.body, 110) : '';
  let description: string;
  if (zh) {
    description = last
      ? `#${room.name}，hubbub 上的公开聊天室：最近 ${messages.length} 条消息。${last.senderName} 最新说：“${quote}”`
      : `#${room.name}，hubbub 上的公开聊天室。还没有消息——来说第一句吧。`;
  } else {
    description = last
      ? `#${room.name} on hubbub, a public chat room: ${messages.length} recent messages. Latest from ${last.senderName}: “${quote}”`
      : `#${room.name} on hubbub, a public chat room. No messages yet — be the first to say hello.`;
  }
  return { title: `#${room.name} · hubbub`, description };
}

/**
 * Marks a response as a page in `locale`: its Content-Language, and
 * Accept-Language added to its Vary (keeping what is there, e.g.
 * Accept-Encoding), so a shared cache keeps one copy per language.
 */
export function setLanguageHeaders(
  reply: { getHeader(name: string): unknown; header(name: string, value: string): unknown },
  locale: PageLocale,
): void {
  reply.header('Content-Language', locale);
  const vary = String(reply.getHeader('vary') ?? '');
  if (!/\baccept-language\b/i.test(vary)) reply.header('Vary', vary ? `${vary}, Accept-Language` : 'Accept-Language');
}

/**
 * `<html lang>` of the page, and `data-server-lang` telling the browser which
 * language the server chose, so the app starts in it and hydrates the same
 * words (web/src/i18n/index.ts) unless the reader picked another.
 */
export function setPageLang(html: string, locale: PageLocale): string {
  const attrs = `lang="${locale}" data-server-lang="${locale}"`;
  return /<html\b[^>]*>/i.test(html)
    ? html.replace(/<html\b[^>]*>/i, (tag) =>
        /\slang="[^"]*"/.test(tag) ? tag.replace(/\slang="[^"]*"/, ` ${attrs}`) : tag.replace(/>$/, ` ${attrs}>`),
      )
    : html;
}

/**
 * Puts a page into the app's index.html: the title and description into the
 * head, the rendered body into #app, and the data it was rendered from (if
 * any) after #app as `<script type="application/json" id="ssr-data">` — not
 * executed, so the CSP's `script-src 'self'` holds, and outside the element
 * the browser hydrates.
 */
export function inject(template: string, head: PageHead, body: string, initial: unknown, locale?: PageLocale): string {
  const meta = [
    `<meta name="description" content="${escapeHtml(head.description)}" />`,
    `<meta property="og:title" content="${escapeHtml(head.title)}" />`,
    `<meta property="og:description" content="${escapeHtml(head.description)}" />`,
  ].join('\n    ');
  const data = initial === null ? '' : `<script type="application/json" id="ssr-data">${jsonForScript(initial)}</script>`;
  let html = (locale ? setPageLang(template, locale) : template).replace(
    /<title>[\s\S]*?<\/title>/i,
    () => `<title>${escapeHtml(head.title)}</title>`,
  );
  html = html.includes('<!--ssr-head-->') ? html.replace('<!--ssr-head-->', () => meta) : html.replace('</head>', () => `${meta}\n</head>`);
  html = html.includes('<!--ssr-outlet-->')
    ? html.replace('<!--ssr-outlet-->', () => body)
    : html.replace(/<div id="app">\s*<\/div>/, () => `<div id="app">${body}</div>`);
  return data ? html.replace('</body>', () => `${data}\n</body>`) : html;
}
