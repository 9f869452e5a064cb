import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The web app, built twice from the same sources (npm run build:web):
 * - the browser app: root web/, output web/dist (served by src/ssr);
 * - `vite build --ssr src/entry-server.ts --outDir dist-ssr`: the server bundle
 *   web/dist-ssr/entry-server.js, which src/ssr imports to render the public
 *   rooms with the app's own components.
 * The SDK is imported from client/.
 */
export default defineConfig({
  root: here,
  base: '/',
  plugins: [vue()],
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
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
});
