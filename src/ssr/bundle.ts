import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Message } from '../domain/types.js';
import type { PageLocale } from './render.js';

/**
 * The web app's server bundle: `vite build --ssr src/entry-server.ts` (npm run
 * build:web) compiles web/src/entry-server.ts and the .vue components it
 * renders into one ES module with Vue inside. The server imports that build,
 * never .vue sources. The path is the same from src/ssr/ (tsx) and dist/ssr/
 * (the compiled server).
 */
export const SSR_BUNDLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist-ssr/entry-server.js');

/** What web/src/entry-server.ts renders a public room from (kept equal by hand: the bundle is plain JS). */
export interface PublicRoomPage {
  roomName: string;
  found: boolean;
  messages: Message[];
  rooms: Array<{ name: string; memberCount: number }>;
  memberCount: number;
  built: boolean;
  /** The page's language ('en' when absent, and for a bundle built before languages existed). */
  locale?: PageLocale;
}

export interface SsrBundle {
  renderPublicRoom(page: PublicRoomPage): Promise<string>;
  /** The page language for a request's Accept-Language (the app's own rule, web/src/i18n/locale.ts); absent in older bundles. */
  localeFor?(acceptLanguage: string | undefined): PageLocale;
}

/**
 * The language to render a page in for this Accept-Language. Decided by the
 * web app's rule (through its bundle), so the server and the browser never
 * disagree; English when no bundle is built yet.
 */
export async function pageLocale(loaded: { bundle: Promise<SsrBundle> } | null, acceptLanguage: string | undefined): Promise<PageLocale> {
  if (!loaded) return 'en';
  const bundle = await loaded.bundle;
  return bundle.localeFor?.(acceptLanguage) ?? 'en';
}

/** The bundle, imported on first use and again when a rebuild replaces the file. */
export class BundleLoader {
  private loaded: { mtimeMs: number; bundle: Promise<SsrBundle> } | null = null;

  constructor(readonly file = SSR_BUNDLE) {}

  /** The current bundle and its file's modification time (which build it is), or null when it is not built. */
  get(): { bundle: Promise<SsrBundle>; mtimeMs: number } | null {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(this.file).mtimeMs;
    } catch {
      return null;
    }
    if (this.loaded?.mtimeMs !== mtimeMs) {
      // The query makes a rebuilt file a new module (ES modules are cached by URL).
      const bundle = import(`${pathToFileURL(this.file).href}?v=${mtimeMs}`) as Promise<SsrBundle>;
      const loaded = { mtimeMs, bundle };
      this.loaded = loaded;
      bundle.catch(() => {
        if (this.loaded === loaded) this.loaded = null;
      });
    }
    return this.loaded;
  }
}
