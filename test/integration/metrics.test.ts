import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { freePort, startProcess } from '../helpers/process.js';
import { testServer } from '../helpers/server.js';

/**
 * /metrics tells process, heap and version details: it is off the public
 * port unless a token is configured and presented, and served to scrapers on
 * a listener of its own. Production builds ship no source maps, and the
 * static files refuse to serve one a build left behind.
 */
const open: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});
async function server(input: Parameters<typeof testServer>[0] = {}): Promise<Server> {
  const s = await testServer(input);
  open.push(() => s.close());
  return s;
}

describe('/metrics on the app port', () => {
  test('answers 404, as an unknown path, when no token is configured', async () => {
    const s = await server();
    const r = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('NOT_FOUND');
    expect(r.body).not.toMatch(/process_|nodejs_|hubbub_/);
    // Presenting some token changes nothing when none is configured.
    const guessed = await s.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer anything-at-all-here' } });
    expect(guessed.statusCode).toBe(404);
  });

  test('with a token configured, only a request bearing it is answered', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const s = await server({ metricsToken: token });
    expect((await s.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    expect((await s.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}x` } })).statusCode).toBe(404);
    expect((await s.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: token } })).statusCode).toBe(404);
    const ok = await s.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/^hubbub_log_head \d+$/m);
    expect(ok.body).toMatch(/^hubbub_link_previews\{state="stored"\} 0$/m);
    // The separate listener asks for the token too once one is configured.
    expect((await s.metrics.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    expect((await s.metrics.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(
      200,
    );
  });

  test('the metrics listener serves /metrics and nothing else', async () => {
    const s = await server();
    const r = await s.metrics.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toMatch(/^hubbub_longpoll_waiters 0$/m);
    expect(r.body).toMatch(/^process_cpu_seconds_total /m);
    expect((await s.metrics.inject({ method: 'GET', url: '/api/v1/rooms' })).statusCode).toBe(404);
    expect((await s.metrics.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(404);
  });

  test('hubbub serve --metrics-port: metrics on their own port, 404 on the app port', async () => {
    const metricsPort = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-metrics-'));
    const { child, base } = await startProcess(['--data-dir', dataDir, '--metrics-port', String(metricsPort)]);
    open.push(
      () =>
        new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGTERM');
        }),
    );
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const m = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(m.status).toBe(200);
    expect(await m.text()).toMatch(/^hubbub_log_head \d+$/m);
  });
});

describe('source maps', () => {
  test('the production build is configured without them', async () => {
    const { default: config } = await import('../../web/vite.config.js');
    expect(config.build?.sourcemap ?? false).toBe(false);
  });

  test('a .map file left in web/dist is not served; the script beside it is', async () => {
    const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-web-'));
    fs.mkdirSync(path.join(webDir, 'assets'));
    fs.writeFileSync(path.join(webDir, 'assets', 'index-abc.js'), 'console.log(1)\n');
    fs.writeFileSync(path.join(webDir, 'assets', 'index-abc.js.map'), '{"version":3,"sources":["secret.ts"]}');
    const s = await server({ webDir });
    const js = await s.app.inject({ method: 'GET', url: '/assets/index-abc.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toMatch(/immutable/);
    const map = await s.app.inject({ method: 'GET', url: '/assets/index-abc.js.map' });
    expect(map.statusCode).toBe(404);
    expect(map.body).not.toContain('secret.ts');
    const encoded = await s.app.inject({ method: 'GET', url: '/assets/index-abc.js%2Emap' });
    expect(encoded.statusCode).toBe(404);
  });
});
