import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { AppError } from '../domain/errors.js';

/** Hashed file names never change content: cached for a year, never revalidated. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The files at the site's root and how long a browser may keep each without
 * asking. The service worker must be revalidated on every load, or an update
 * reaches nobody until the browser's own 24 h check; the manifest names the
 * icons and colours an installed app uses, so it is checked too.
 */
export const ROOT_FILES: Readonly<Record<string, string>> = {
  'favicon.svg': 'public, max-age=86400',
  'robots.txt': 'public, max-age=86400',
  'manifest.webmanifest': 'no-cache',
  'sw.js': 'no-cache',
};
/** Icons referenced by the manifest (web/public/icons). */
const ICON_NAME = /^[a-z0-9-]{1,64}\.(?:png|svg)$/;
const ICON_CACHE = 'public, max-age=86400';

/**
 * The web app's built files (web/dist): `/assets/*` with the year-long cache,
 * and the few files at the root. Each is sent as its brotli or gzip copy when
 * the request accepts one and the build wrote one (./precompress.ts), with
 * `Content-Encoding`, `Content-Length` and `Vary: Accept-Encoding` (a cache
 * between us and the browser must not hand the brotli copy to a client that
 * did not ask for it).
 */
export async function staticRoutes(app: FastifyInstance, webDir: string): Promise<void> {
  const assetsDir = path.join(webDir, 'assets');
  await app.register(fastifyStatic, {
    root: assetsDir,
    prefix: '/assets/',
    wildcard: true,
    index: false,
    decorateReply: true,
    cacheControl: false,
    preCompressed: true,
    // Source maps give away the app's source: never served, even if a build left them in web/dist.
    // The compressed copies are reached through Accept-Encoding, never by their own name.
    allowedPath: (pathName) => !/\.(?:map|br|gz)$/.test(pathName),
    setHeaders(res, filePath) {
      if (filePath.startsWith(assetsDir + path.sep)) res.setHeader('Cache-Control', IMMUTABLE);
      res.setHeader('Vary', 'Accept-Encoding');
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
  });

  /** From the build, or straight from web/public when the app is not built (same file). */
  function rootOf(file: string): string {
    const dir = [webDir, path.resolve(webDir, '../public')].find((d) => fs.existsSync(path.join(d, file)));
    if (!dir) throw new AppError('NOT_FOUND');
    return dir;
  }

  for (const [file, cacheControl] of Object.entries(ROOT_FILES)) {
    app.get(`/${file}`, (_req, reply) => {
      const dir = rootOf(file);
      return reply.header('Cache-Control', cacheControl).sendFile(file, dir, { cacheControl: false });
    });
  }

  app.get<{ Params: { name: string } }>('/icons/:name', (req, reply) => {
    if (!ICON_NAME.test(req.params.name)) throw new AppError('NOT_FOUND');
    const file = `icons/${req.params.name}`;
    return reply.header('Cache-Control', ICON_CACHE).sendFile(file, rootOf(file), { cacheControl: false });
  });
}
