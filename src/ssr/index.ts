import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Ctx } from '../edge/context.js';
import type { Conversation, Message } from '../domain/types.js';
import { BundleLoader, pageLocale } from './bundle.js';
import { PageCache } from './cache.js';
import { compressPage, pickEncoding } from './compress.js';
import { inject, roomHead, setLanguageHeaders, type PageLocale } from './render.js';
import { staticRoutes } from './static.js';

/** How many of a room's latest messages go into the server-rendered page. */
export const SSR_MESSAGES = 50;

/** Routes that belong to the single-page app: served its index.html, rendered by the browser. */
export const SPA_ROUTES = ['/login', '/register', '/c/:id', '/people', '/rooms', '/new-group'];

/**
 * Content-Security-Policy for the HTML pages: no inline script at all (the
 * initial data travels in a non-executed `application/json` block), styles
 * and scripts from this origin only, sockets to this origin.
 */
export const HTML_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** A template used when web/dist was not built: the server-rendered pages stay readable. */
const FALLBACK_TEMPLATE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>hubbub</title>
    <!--ssr-head-->
  </head>
  <body>
    <div id="app"><!--ssr-outlet--></div>
  </body>
</html>
`;

interface Template {
  html: string;
  mtimeMs: number;
  built: boolean;
}

/**
 * The web app's static files and the server-rendered public rooms.
 *
 * - `/assets/*` (hashed Vite output, immutable) and the root files (favicon,
 *   manifest, service worker, icons), precompressed copies when accepted
 *   (./static.ts).
 * - `/` renders the lobby, `/r/:name` any public room: its latest messages,
 *   rendered by the web app's own component through the server bundle
 *   (./bundle.ts), inside web/dist/index.html with a title and description
 *   (./render.ts), so it reads with JavaScript off; the browser then hydrates
 *   it from the page's data block (web/src/main.ts). Pages are reused while
 *   the store's head has not moved (./cache.ts).
 * - The app's own routes (/login, /c/:id, …) get the same index.html unrendered.
 * - Without web/dist the pages are still rendered, with a note that the app
 *   is not built; without the server bundle, a note to build it.
 */
export async function webRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const webDir = path.resolve(ctx.config.webDir);
  const indexFile = path.join(webDir, 'index.html');
  let cached: Template | null = null;
  const bundles = new BundleLoader();
  const pages = new PageCache();

  /** index.html, re-read when a rebuild changes it. */
  function template(): Template {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(indexFile);
    } catch {
      st = null;
    }
    if (!st) return { html: FALLBACK_TEMPLATE, mtimeMs: 0, built: false };
    if (cached && cached.mtimeMs === st.mtimeMs) return cached;
    cached = { html: fs.readFileSync(indexFile, 'utf8'), mtimeMs: st.mtimeMs, built: true };
    return cached;
  }

  await staticRoutes(app, webDir);

  /**
   * `encoded`: where a cached page keeps its compressed forms, so each is made once per page.
   * `locale`: the page's language (Content-Language, and Vary: Accept-Language).
   */
  async function sendHtml(
    reply: FastifyReply,
    html: string,
    status: number,
    locale: PageLocale,
    encoded?: Map<string, Buffer>,
  ): Promise<FastifyReply> {
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .header('Vary', 'Accept-Encoding')
      .header('Content-Security-Policy', HTML_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'same-origin');
    setLanguageHeaders(reply, locale);
    const encoding = pickEncoding(reply.request.headers['accept-encoding']);
    if (!encoding) return reply.send(html);
    let body = encoded?.get(encoding) ?? null;
    if (!body) {
      body = await compressPage(html, encoding);
      if (body) encoded?.set(encoding, body);
    }
    if (!body) return reply.send(html);
    return reply.header('Content-Encoding', encoding).send(body);
  }

  async function renderRoom(reply: FastifyReply, requested: string, acceptLanguage: string | undefined): Promise<FastifyReply> {
    const tpl = template();
    const loaded = bundles.get();
    const build = `${tpl.mtimeMs}/${loaded?.mtimeMs ?? 0}`;
    // One page per room and language: two languages, so the cache's bound still holds per room.
    const locale = await pageLocale(loaded, acceptLanguage);
    const key = `${locale}/${requested}`;
    const head = await ctx.store.headSeq();
    const hit = pages.getPage(key, head, build);
    if (hit !== null) return sendHtml(reply, hit.html, 200, locale, hit.encoded);

    let room: Conversation | null = null;
    try {
      room = await ctx.chat.roomByName(requested);
    } catch (err) {
      if ((err as { code?: string }).code !== 'CONVERSATION_NOT_FOUND') throw err;
    }
    const rooms = (await ctx.store.listRooms()).map((r) => ({ name: r.name ?? '', memberCount: r.memberCount }));
    const messages: Message[] = room ? (await ctx.chat.history(null, room.id, { limit: SSR_MESSAGES })).messages : [];
    const memberCount = room ? ((await ctx.store.getConversation(room.id))?.memberCount ?? 0) : 0;
    const name = room?.name ?? requested;
    const meta = roomHead(room ? { name } : null, messages, locale);
    if (!loaded) return sendHtml(reply, inject(tpl.html, meta, NOT_RENDERED, null, locale), room ? 200 : 404, locale);
    const bundle = await loaded.bundle;
    const body = await bundle.renderPublicRoom({
      roomName: name,
      found: room !== null,
      messages,
      rooms,
      memberCount,
      built: tpl.built,
      locale,
    });
    if (!room) return sendHtml(reply, inject(tpl.html, meta, body, null, locale), 404, locale);
    // The browser hydrates from exactly this data (web/src/ssr-data.ts), in this language (<html data-server-lang>).
    const html = inject(tpl.html, meta, body, { room: { id: room.id, name, memberCount }, messages, rooms }, locale);
    return sendHtml(reply, html, 200, locale, pages.set(key, head, build, html).encoded);
  }

  app.get('/', (req, reply) => renderRoom(reply, 'lobby', req.headers['accept-language']));
  app.get<{ Params: { name: string } }>('/r/:name', (req, reply) =>
    renderRoom(reply, req.params.name.slice(0, 64), req.headers['accept-language']),
  );

  for (const route of SPA_ROUTES) {
    app.get(route, async (req, reply) => {
      const tpl = template();
      const body = tpl.built ? SPLASH : notBuiltNote();
      const locale = await pageLocale(bundles.get(), req.headers['accept-language']);
      const head = { title: 'hubbub', description: 'hubbub — a self-hosted real-time chat.' };
      return sendHtml(reply, inject(tpl.html, head, body, null, locale), 200, locale);
    });
  }
}

/**
 * Shown until the app has mounted (it replaces the whole #app content). A
 * status, because a name on a plain div is not announced (axe: aria-prohibited-attr).
 */
const SPLASH =
  '<div class="boot-splash" role="status" aria-busy="true" aria-label="Loading"><span class="brand-mark" aria-hidden="true">h</span></div>';

function notBuiltNote(): string {
  return (
    '<p class="ssr-note" role="note">The web app is not built yet (run <code>npm run build:web</code>); ' +
    'public rooms are still readable here.</p>'
  );
}

/** In place of a public room when the server bundle is not built (a source tree before its first build). */
const NOT_RENDERED =
  '<p class="ssr-note" role="note">This page is rendered by the web app\'s server bundle, which is not built yet ' +
  '(run <code>npm run build:web</code>, or start with <code>npm start</code>).</p>';
