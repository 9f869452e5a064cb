import http from 'node:http';
import { describe, expect, test } from 'vitest';
import { testServer, userApi } from '../helpers/server.js';

describe('graceful close', () => {
  test('pending long polls are answered with their own cursor when the server closes', async () => {
    const s = await testServer();
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (s.app.server.address() as { port: number }).port;
    const alice = await userApi(s, 'alice');
    const head = (await alice.call('GET', '/api/v1/sync')).body.cursor;
    const answers = Array.from(
      { length: 20 },
      () =>
        new Promise<{ status: number; body: any }>((resolve, reject) => {
          http
            .get(
              { host: '127.0.0.1', port, path: `/api/v1/sync?since=${head}&wait=55`, headers: { authorization: `Bearer ${alice.token}` } },
              (res) => {
                let data = '';
                res.on('data', (c) => (data += c));
                res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
              },
            )
            .on('error', reject);
        }),
    );
    while ((s.hub.stats().byKind.longpoll ?? 0) < 20) await new Promise((r) => setImmediate(r));
    const started = Date.now();
    await s.close();
    const results = await Promise.all(answers);
    expect(results.every((r) => r.status === 200 && r.body.cursor === head && r.body.events.length === 0)).toBe(true);
    // Closing did not sit out the 55 s wait.
    expect(Date.now() - started).toBeLessThan(50_000);
  });

  test('security headers are set', async () => {
    const s = await testServer();
    try {
      const r = await s.app.inject({ method: 'GET', url: '/api/v1/rooms' });
      expect(r.headers['content-security-policy']).toMatch(/script-src 'self'/);
      expect(r.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(r.headers['content-security-policy']).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    } finally {
      await s.close();
    }
  });
});
