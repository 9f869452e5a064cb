import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { precompressDir } from '../../src/ssr/precompress.js';
import { testServer } from '../helpers/server.js';

/** A raw HTTP GET: the body exactly as sent (no decoding), and the headers. */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

// A script big enough to be compressed, with enough repetition that the copies are much smaller.
const SCRIPT = Array.from({ length: 400 }, (_, i) => `export const line${i} = "the same words again, ${i}";`).join('\n');
const TINY = 'console.log(1)\n';

describe('static assets: precompressed copies and cache headers over HTTP', () => {
  let webDir: string;
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-static-'));
    fs.mkdirSync(path.join(webDir, 'assets'));
    fs.writeFileSync(path.join(webDir, 'assets', 'index-abc123.js'), SCRIPT);
    fs.writeFileSync(path.join(webDir, 'assets', 'tiny-abc123.js'), TINY);
    fs.writeFileSync(path.join(webDir, 'assets', 'logo-abc123.png'), Buffer.alloc(4096, 7));
    fs.writeFileSync(
      path.join(webDir, 'index.html'),
      '<!doctype html><html lang="en"><head><title>hubbub</title><!--ssr-head--></head><body><div id="app"><!--ssr-outlet--></div></body></html>',
    );
    fs.writeFileSync(path.join(webDir, 'sw.js'), `self.addEventListener('fetch', () => {});\n${'// padding\n'.repeat(200)}`);
    fs.writeFileSync(path.join(webDir, 'manifest.webmanifest'), JSON.stringify({ name: 'hubbub', start_url: '/' }));
    precompressDir(webDir);
    const server = await testServer({ webDir });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const addr = server.app.server.address();
    if (!addr || typeof addr === 'string') throw new Error('no address');
    base = `http://127.0.0.1:${addr.port}`;
    close = async () => {
      await server.close();
      fs.rmSync(server.dataDir, { recursive: true, force: true });
      fs.rmSync(webDir, { recursive: true, force: true });
    };
  });
  afterAll(async () => close?.());

  test('the build step writes brotli and gzip copies of text files that decode to the original, and skips the rest', () => {
    const js = path.join(webDir, 'assets', 'index-abc123.js');
    expect(zlib.brotliDecompressSync(fs.readFileSync(`${js}.br`)).toString()).toBe(SCRIPT);
    expect(zlib.gunzipSync(fs.readFileSync(`${js}.gz`)).toString()).toBe(SCRIPT);
    expect(fs.statSync(`${js}.br`).size).toBeLessThan(fs.statSync(`${js}.gz`).size);
    // Too small to gain anything; a binary format.
    expect(fs.existsSync(path.join(webDir, 'assets', 'tiny-abc123.js.br'))).toBe(false);
    expect(fs.existsSync(path.join(webDir, 'assets', 'logo-abc123.png.br'))).toBe(false);
  });

  test('a browser that accepts brotli gets the brotli copy, with its length, and an immutable year-long cache', async () => {
    const res = await get(`${base}/assets/index-abc123.js`, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(res.body.length).toBe(fs.statSync(path.join(webDir, 'assets', 'index-abc123.js.br')).size);
    expect(zlib.brotliDecompressSync(res.body).toString()).toBe(SCRIPT);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  test('gzip when brotli is not accepted (or refused with q=0)', async () => {
    for (const accept of ['gzip', 'br;q=0, gzip']) {
      const res = await get(`${base}/assets/index-abc123.js`, { 'accept-encoding': accept });
      expect(res.headers['content-encoding'], accept).toBe('gzip');
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
      expect(zlib.gunzipSync(res.body).toString()).toBe(SCRIPT);
      expect(res.headers.vary).toMatch(/accept-encoding/i);
    }
  });

  test('no Accept-Encoding: the file itself, still marked as varying', async () => {
    const res = await get(`${base}/assets/index-abc123.js`);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString()).toBe(SCRIPT);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(SCRIPT));
    expect(res.headers.vary).toMatch(/accept-encoding/i);
  });

  test('a file without a compressed copy is sent as it is, whatever is accepted', async () => {
    const res = await get(`${base}/assets/tiny-abc123.js`, { 'accept-encoding': 'br, gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString()).toBe(TINY);
  });

  test('the compressed copies are not reachable by their own names', async () => {
    for (const name of ['index-abc123.js.br', 'index-abc123.js.gz']) {
      expect((await get(`${base}/assets/${name}`, { 'accept-encoding': 'br, gzip' })).status, name).toBe(404);
    }
  });

  test('pages are compressed on the fly when accepted, and marked as varying', async () => {
    const page = await get(`${base}/r/lobby`, { 'accept-encoding': 'gzip, br' });
    expect(page.status).toBe(200);
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers.vary).toMatch(/accept-encoding/i);
    expect(Number(page.headers['content-length'])).toBe(page.body.length);
    const html = zlib.brotliDecompressSync(page.body).toString();
    expect(html).toContain('<title>');
    const plain = await get(`${base}/r/lobby`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(html);
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    const gz = await get(`${base}/r/lobby`, { 'accept-encoding': 'br;q=0, gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body).toString()).toBe(html);
  });

  test('the service worker and the pages are revalidated on every load; the manifest has its own type', async () => {
    const sw = await get(`${base}/sw.js`, { 'accept-encoding': 'br' });
    expect(sw.status).toBe(200);
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(sw.headers['content-type']).toMatch(/javascript/);
    expect(sw.headers['content-encoding']).toBe('br');
    for (const page of ['/', '/login', '/r/lobby']) {
      const res = await get(`${base}${page}`);
      expect(res.headers['cache-control'], page).toBe('no-cache');
      expect(res.headers['content-type'], page).toMatch(/text\/html/);
    }
    const manifest = await get(`${base}/manifest.webmanifest`);
    expect(manifest.status).toBe(200);
    expect(manifest.headers['content-type']).toMatch(/application\/manifest\+json/);
    expect(manifest.headers['cache-control']).toBe('no-cache');
  });
});
