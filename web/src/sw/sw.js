/**
 * hubbub's service worker: keeps the app shell so the app opens with no
 * network, and stays out of the way of everything live.
 *
 * The build (web/vite.config.ts, installable()) prepends
 * `self.__HUBBUB_BUILD__ = { version, assets }`: this build's hashed files and
 * the public files the shell shows. A new build is a new worker, which takes
 * over at once and drops the previous build's cache.
 *
 * - /assets/* (hashed, immutable): from the cache, else the network (and kept).
 * - Page loads: the network first, so a reader always gets the newest page and
 *   session; the answer is kept per address (a few pages) and, with no
 *   network, the kept page is shown — or the app shell, which boots the app
 *   and lets it catch up by itself when the server answers again.
 * - The API, the streams and anything else: never touched, never cached
 *   (a cached API answer would be someone's messages served stale, or to the
 *   next account on this browser).
 */

const BUILD = self.__HUBBUB_BUILD__ ?? { version: 'dev', assets: [] };
const SHELL_CACHE = `hubbub-shell-${BUILD.version}`;
const PAGES_CACHE = 'hubbub-pages';
/**
 * The app shell: any of the app's own routes answers the same index.html with
 * a splash (src/ssr/index.ts, SPA_ROUTES); the app reads the address itself.
 */
const SHELL_URL = '/login';
/** How many pages are kept for reading offline; the oldest goes first. */
const MAX_PAGES = 16;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      await cache.addAll([SHELL_URL, ...BUILD.assets]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('hubbub-shell-') && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
      // The page that installed us loaded before we could see it: keep it too, so it opens offline as it was read.
      for (const client of await self.clients.matchAll({ type: 'window' })) {
        const url = new URL(client.url);
        if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) continue;
        const response = await fetch(url.href, { credentials: 'same-origin' }).catch(() => null);
        if (response && isPage(response)) await keepPage(new Request(url.href), response);
      }
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(page(request));
    return;
  }
  if (url.pathname.startsWith('/assets/') || BUILD.assets.includes(url.pathname)) event.respondWith(asset(request));
});

/** @param {Request} request */
async function asset(request) {
  const hit = await caches.match(request, { ignoreVary: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && new URL(request.url).pathname.startsWith('/assets/')) {
    const cache = await caches.open(SHELL_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

/** @param {Request} request */
async function page(request) {
  try {
    const response = await fetch(request);
    if (isPage(response)) await keepPage(request, response.clone());
    return response;
  } catch (offline) {
    // Pages vary by Accept-Language and Accept-Encoding; offline, the page this browser last had is the right one.
    const kept = await caches.match(request, { cacheName: PAGES_CACHE, ignoreVary: true });
    if (kept) return kept;
    const shell = await caches.match(SHELL_URL, { cacheName: SHELL_CACHE, ignoreVary: true });
    if (shell) return offlineShell(shell);
    throw offline;
  }
}

/**
 * Says why the splash stays: the app waits for the server before it shows the
 * signed-in screens, and would otherwise pulse with no word. The note is
 * inside #app, so the app replaces it when it comes up.
 */
const OFFLINE_NOTE = {
  en: 'You are offline. hubbub opens by itself when the network is back.',
  zh: '当前处于离线状态。网络恢复后，hubbub 会自动打开。',
};

/** @param {Response} shell */
async function offlineShell(shell) {
  const note = /^zh\b/i.test(self.navigator.language) ? OFFLINE_NOTE.zh : OFFLINE_NOTE.en;
  const html = (await shell.text()).replace(
    '<div class="boot-splash"',
    `<p class="ssr-note" role="status">${note}</p><div class="boot-splash"`,
  );
  const headers = new Headers(shell.headers);
  headers.delete('content-encoding');
  headers.delete('content-length');
  return new Response(html, { status: 200, headers });
}

/** @param {Response} response */
function isPage(response) {
  return response.ok && (response.headers.get('content-type') ?? '').startsWith('text/html');
}

/**
 * @param {Request} request
 * @param {Response} response
 */
async function keepPage(request, response) {
  const cache = await caches.open(PAGES_CACHE);
  await cache.delete(request);
  await cache.put(request, response);
  // Keys come back in insertion order: past the bound, the oldest go.
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_PAGES))) await cache.delete(old);
}
