import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../edge/context.js';
import { broadcastRoutes, ensureWebsocketPlugin } from './broadcast.js';
import { chatdemoRoutes } from './chatdemo.js';
import { parseForm } from './form.js';
import { checkSameSite, dropHubbubCredentials, issueXsrfCookie } from './http.js';
import { LobbyFeed } from './lobby.js';
import { wallRoutes } from './wall.js';

export { issueXsrfCookie } from './http.js';

/**
 * The seeds' legacy protocols, as thin adapters onto the `lobby` room
 * (docs/compat.md): Tornado's chatdemo (`/a/message/new`,
 * `/a/message/updates`, page at `/chatdemo`), the `/chat` + `/updatemsg`
 * wall, and the `/msg` WebSocket broadcast. They post as one shared user,
 * `guest`, and read the lobby through the hub like any v1 client.
 */
export async function compatRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const feed = await LobbyFeed.open(ctx);
  await ensureWebsocketPlugin(app, ctx.config.wsMaxPayloadBytes);

  let stopBroadcast: (() => void) | null = null;
  await app.register(async (legacy) => {
    // Forms are parsed here only, strictly: the v1 API refuses them (415), so a cross-site <form> cannot reach it.
    legacy.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
      try {
        done(null, parseForm(body));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    // Anonymous protocols: a hubbub cookie or bearer header sent along is ignored, not checked.
    legacy.addHook('onRequest', dropHubbubCredentials);
    legacy.addHook('onRequest', async (req) => {
      // The query string is a source of fields too (get_argument): the same strict decoding as the body.
      const q = req.url.indexOf('?');
      if (q >= 0) req.query = parseForm(Buffer.from(req.url.slice(q + 1), 'latin1'), 'query string');
      // Refused before the body is read: a post from another site's page.
      if (req.method === 'POST') checkSameSite(req, ctx);
    });
    // Any legacy GET (not a WebSocket upgrade) hands out the chatdemo's `_xsrf` cookie.
    legacy.addHook('onRequest', async (req, reply) => {
      if (req.method === 'GET' && !req.ws) issueXsrfCookie(req, reply, ctx);
    });
    chatdemoRoutes(legacy, ctx, feed);
    stopBroadcast = await broadcastRoutes(legacy, ctx, feed);
    await legacy.register(async (wall) => wallRoutes(wall, ctx, feed));
  });

  // Answer waiting long polls and close /msg sockets before the server waits for open requests.
  app.addHook('preClose', async () => {
    feed.close();
    stopBroadcast?.();
  });
}
