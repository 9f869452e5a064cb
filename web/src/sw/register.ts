/**
 * Registers the service worker (./sw.js, built to /sw.js) after the page has
 * loaded, so installing it — which downloads the whole app shell — never
 * competes with the first screen. Only in a build: the dev server has no /sw.js.
 * (The mode, not import.meta.env.PROD: a build run with NODE_ENV=test, as the
 * browser tests' setup does, has PROD false and still serves /sw.js.)
 *
 * Loaded as its own small entry by web/vite.config.ts (installable()).
 */
if (import.meta.env.MODE === 'production' && 'serviceWorker' in navigator) {
  const register = () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err: unknown) => {
      // Not an error of the page: the app works without it, only not offline.
      console.warn('hubbub: no offline support in this browser', err);
    });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
