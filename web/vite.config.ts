import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';
import { precompressDir } from '../src/ssr/precompress.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The web app, built twice from the same sources (npm run build:web):
 * - the browser app: root web/, output web/dist (served by src/ssr);
 * - `vite build --ssr src/entry-server.ts --outDir dist-ssr`: the server bundle
 *   web/dist-ssr/entry-server.js, which src/ssr imports to render the public
 *   rooms with the app's own components.
 * The SDK is imported from client/.
 * The browser build also writes the service worker (/sw.js, see installable())
 * and a brotli and a gzip copy of each text file (precompressed()).
 */
export default defineConfig({
  root: here,
  base: '/',
  plugins: [vue(), installable(), precompressed()],
  resolve: {
    alias: {
      '@hubbub/client': path.resolve(here, '../client/index.ts'),
    },
  },
  define: {
    // A hydration mismatch names the node and the difference (and attributes are compared at all):
    // a few KB for a warning that says what to fix, and the browser tests assert there is none.
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'true',
    // The server bundle renders with Vue's production build whatever NODE_ENV the server runs under
    // (the browser build replaces it with the same value anyway).
    'process.env.NODE_ENV': JSON.stringify('production'),
    // The app uses vue-i18n's Composition API only (createI18n({ legacy: false }), web/src/i18n): its legacy
    // API and the devtools hooks are dead weight in the first script. (Full install stays: <i18n-t> is used.)
    __VUE_I18N_LEGACY_API__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'true',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  ssr: {
    // Vue goes into the server bundle: it is a dependency of the build, not of the running server.
    noExternal: true,
    // The ESM builds, not the "node" ones: those carry Vue's template compiler (and Babel's parser),
    // which a bundle of precompiled components never calls.
    resolve: { conditions: ['module', 'import', 'production'], externalConditions: ['module', 'import', 'production'] },
  },
  build: {
    outDir: path.resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // No source maps in the build: they would publish the app's source (src/ssr refuses *.map anyway).
    sourcemap: false,
    // The page must run under a CSP without inline script: no inlined module-preload polyfill.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rolldownOptions: {
      output: {
        // Vue and vue-i18n change far less often than the app: their own hashed file stays cached
        // (immutable) across the app's releases, and downloads and compiles beside the app's chunk.
        codeSplitting: { groups: [{ name: 'vendor', test: /node_modules[\\/](?:@vue|vue|vue-i18n|@intlify)[\\/]/ }] },
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
});

/** Public files the service worker keeps with the app shell (web/public). */
const SHELL_PUBLIC_FILES = ['/manifest.webmanifest', '/favicon.svg', '/icons/icon-192.png'];

/**
 * Makes the app installable: links the manifest (web/public/manifest.webmanifest)
 * and a home-screen icon from index.html, loads web/src/sw/register.ts as a
 * second small entry, and emits web/src/sw/sw.js as /sw.js (not hashed: its
 * URL is its identity) with this build's file list and version prepended, so
 * the worker caches exactly the files of the build it belongs to and a new
 * build is a new worker.
 */
function installable(): Plugin {
  let ssr = false;
  return {
    name: 'hubbub:installable',
    configResolved(config) {
      ssr = Boolean(config.build.ssr);
    },
    transformIndexHtml: {
      order: 'pre',
      handler: () => [
        { tag: 'link', attrs: { rel: 'manifest', href: '/manifest.webmanifest' }, injectTo: 'head' },
        { tag: 'link', attrs: { rel: 'apple-touch-icon', href: '/icons/apple-touch-180.png' }, injectTo: 'head' },
        { tag: 'script', attrs: { type: 'module', src: '/src/sw/register.ts' }, injectTo: 'head' },
      ],
    },
    generateBundle(_options, bundle) {
      if (ssr) return;
      const assets = Object.keys(bundle)
        .filter((f) => f.startsWith('assets/'))
        .sort()
        .map((f) => `/${f}`);
      const source = fs.readFileSync(path.join(here, 'src/sw/sw.js'), 'utf8');
      const version = createHash('sha256').update(JSON.stringify(assets)).update(source).digest('hex').slice(0, 12);
      const build = { version, assets: [...assets, ...SHELL_PUBLIC_FILES] };
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: `self.__HUBBUB_BUILD__ = ${JSON.stringify(build)};\n${source}` });
    },
  };
}

/** A brotli and a gzip copy beside each text file of the browser build, once it is written (src/ssr/precompress.ts). */
function precompressed(): Plugin {
  let outDir = '';
  let ssr = false;
  return {
    name: 'hubbub:precompressed',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
      ssr = Boolean(config.build.ssr);
    },
    closeBundle() {
      if (!ssr) precompressDir(outDir);
    },
  };
}
