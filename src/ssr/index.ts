import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Ctx } from '../edge/context.js';
import type { Conversation, Message } from '../domain/types.js';
import { AppError } from '../domain/errors.js';
import { BundleLoader } from './bundle.js';
import { PageCache } from './cache.js';
import { inject, roomHead } from './render.js';

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
 * - `/assets/*` (hashed Vite output) with long-lived caching; `/favicon.svg`.
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

  await app.register(fastifyStatic, {
    root: path.join(webDir, 'assets'),
    prefix: '/assets/',
    wildcard: true,
    index: false,
    decorateReply: true,
    cacheControl: false,
    // Source maps give away the app's source: never served, even if a build left them in web/dist.
    allowedPath: (pathName) => !pathName.endsWith('.map'),
    setHeaders(res) {
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
  });

  for (const file of ['favicon.svg', 'robots.txt']) {
    app.get(`/${file}`, (_req, reply) => {
      // From the build, or straight from web/public when the app is not built (same file).
      const dir = [webDir, path.resolve(webDir, '../public')].find((d) => fs.existsSync(path.join(d, file)));
      if (!dir) throw new AppError('NOT_FOUND');
      return reply.header('Cache-Control', 'public, max-age=86400').sendFile(file, dir, { cacheControl: false });
    });
  }

  function sendHtml(reply: FastifyReply, html: string, status = 200): FastifyReply {
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .header('Content-Security-Policy', HTML_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'same-origin')
      .send(html);
  }

  async function renderRoom(reply: FastifyReply, requested: string): Promise<FastifyReply> {
    const tpl = template();
    const loaded = bundles.get();
    const build = `${tpl.mtimeMs}/${loaded?.mtimeMs ?? 0}`;
    const head = await ctx.store.headSeq();
    const hit = pages.get(requested, head, build);
    if (hit !== null) return sendHtml(reply, hit);

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
    const meta = roomHead(room ? { name } : null, messages);
    if (!loaded) return sendHtml(reply, inject(tpl.html, meta, NOT_RENDERED, null), room ? 200 : 404);
    const bundle = await loaded.bundle;
    const body = await bundle.renderPublicRoom({ roomName: name, found: room !== null, messages, rooms, memberCount, built: tpl.built });
    if (!room) return sendHtml(reply, inject(tpl.html, meta, body, null), 404);
    // The browser hydrates from exactly this data (web/src/ssr-data.ts).
    const html = inject(tpl.html, meta, body, { room: { id: room.id, name, memberCount }, messages, rooms });
    pages.set(requested, head, build, html);
    return sendHtml(reply, html);
  }

  app.get('/', (_req, reply) => renderRoom(reply, 'lobby'));
  app.get<{ Params: { name: string } }>('/r/:name', (req, reply) => renderRoom(reply, req.params.name.slice(0, 64)));

  for (const route of SPA_ROUTES) {
    app.get(route, (_req, reply) => {
      const tpl = template();
      const body = tpl.built ? SPLASH : notBuiltNote();
      return sendHtml(reply, inject(tpl.html, { title: 'hubbub', description: 'hubbub — a self-hosted real-time chat.' }, body, null));
    });
  }
}

/** Shown until the app has mounted (it replaces the whole #app content). */
const SPLASH = '<div class="boot-splash" aria-busy="true" aria-label="Loading"><span class="brand-mark" aria-hidden="true">h</span></div>';

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
