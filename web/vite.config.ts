import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The web app: root web/, output web/dist (served by src/ssr). The SDK is imported from client/. */
export default defineConfig({
  root: here,
  base: '/',
  plugins: [vue()],
  resolve: {
    alias: {
      '@hubbub/client': path.resolve(here, '../client/index.ts'),
    },
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
