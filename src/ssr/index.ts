import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Ctx } from '../http/context.js';
import type { Conversation, Message } from '../domain/types.js';
import { AppError } from '../domain/errors.js';
import { escapeHtml, jsonForScript, renderRoomPage, type RoomPageData } from './render.js';

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
 * - `/` renders the lobby, `/r/:name` any public room: its latest messages as
 *   escaped HTML inside web/dist/index.html, with a title and description, so
 *   it reads with JavaScript off; the app then mounts over it.
 * - The app's own routes (/login, /c/:id, …) get the same index.html unrendered.
 * - Without web/dist the pages are still rendered, with a note that the app
 *   is not built.
 */
export async function webRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const webDir = path.resolve(ctx.config.webDir);
  const indexFile = path.join(webDir, 'index.html');
  let cached: Template | null = null;

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

  async function renderRoom(reply: FastifyReply, roomName: string): Promise<FastifyReply> {
    const tpl = template();
    let room: Conversation | null = null;
    try {
      room = await ctx.chat.roomByName(roomName);
    } catch (err) {
      if ((err as { code?: string }).code !== 'CONVERSATION_NOT_FOUND') throw err;
    }
    const rooms = (await ctx.store.listRooms()).map((r) => ({ name: r.name ?? '', memberCount: r.memberCount }));
    if (!room) {
      const page = renderRoomPage({ room: null, requested: roomName, messages: [], rooms, memberCount: 0, built: tpl.built });
      return sendHtml(reply, inject(tpl.html, page.title, page.description, page.body, null), 404);
    }
    const messages: Message[] = await ctx.chat.history(null, room.id, null, SSR_MESSAGES);
    const detail = await ctx.store.getConversation(room.id);
    const data: RoomPageData = { room, requested: roomName, messages, rooms, memberCount: detail?.memberCount ?? 0, built: tpl.built };
    const page = renderRoomPage(data);
    const initial = { room: { id: room.id, name: room.name, memberCount: data.memberCount }, messages, rooms };
    return sendHtml(reply, inject(tpl.html, page.title, page.description, page.body, initial));
  }

  app.get('/', (_req, reply) => renderRoom(reply, 'lobby'));
  app.get<{ Params: { name: string } }>('/r/:name', (req, reply) => renderRoom(reply, req.params.name.slice(0, 64)));

  for (const route of SPA_ROUTES) {
    app.get(route, (_req, reply) => {
      const tpl = template();
      const body = tpl.built ? SPLASH : notBuiltNote();
      return sendHtml(reply, inject(tpl.html, 'hubbub', 'hubbub — a self-hosted real-time chat.', body, null));
    });
  }
}

/** Shown until the app has mounted (it replaces the whole #app content). */
const SPLASH = '<div class="boot-splash" aria-busy="true" aria-label="Loading"><span class="brand-mark" aria-hidden="true">h</span></div>';

function notBuiltNote(): string {
  return '<p class="ssr-note" role="note">The web app is not built yet (run <code>npm run build:web</code>); public rooms are still readable here.</p>';
}

/** Puts the rendered page into the app's index.html. */
export function inject(template: string, title: string, description: string, body: string, initial: unknown): string {
  const head = [
    `<meta name="description" content="${escapeHtml(description)}" />`,
    `<meta property="og:title" content="${escapeHtml(title)}" />`,
    `<meta property="og:description" content="${escapeHtml(description)}" />`,
  ].join('\n    ');
  const data = initial === null ? '' : `<script type="application/json" id="ssr-data">${jsonForScript(initial)}</script>`;
  let html = template.replace(/<title>[\s\S]*?<\/title>/i, `<title>${escapeHtml(title)}</title>`);
  html = html.includes('<!--ssr-head-->') ? html.replace('<!--ssr-head-->', () => head) : html.replace('</head>', () => `${head}\n</head>`);
  const outlet = body + data;
  if (html.includes('<!--ssr-outlet-->')) return html.replace('<!--ssr-outlet-->', () => outlet);
  return html.replace(/<div id="app">\s*<\/div>/, () => `<div id="app">${outlet}</div>`);
}
