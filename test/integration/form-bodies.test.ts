import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer } from '../helpers/server.js';

/**
 * Login CSRF (issue 11, item 4): a cross-site <form> can send only
 * application/x-www-form-urlencoded, multipart/form-data or text/plain. The
 * v1 API takes JSON only, so none of those reach a v1 handler; only the
 * seeds' legacy routes (src/compat/) parse forms.
 */
describe('v1 API: JSON bodies only', () => {
  let s: Awaited<ReturnType<typeof testServer>>;
  beforeAll(async () => {
    s = await testServer();
    const reg = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { username: 'mallory', password: 'correct horse battery staple' },
    });
    expect(reg.statusCode).toBe(201);
  });
  afterAll(async () => {
    await s.close();
  });

  const credentials = 'username=mallory&password=correct+horse+battery+staple';
  const multipart = (boundary: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\nmallory\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="password"\r\n\r\ncorrect horse battery staple\r\n--${boundary}--\r\n`;

  const bodies: Array<[string, string, string]> = [
    ['a urlencoded form', 'application/x-www-form-urlencoded', credentials],
    ['a urlencoded form with a charset', 'application/x-www-form-urlencoded; charset=UTF-8', credentials],
    ['a multipart form', 'multipart/form-data; boundary=XyZ', multipart('XyZ')],
    ['an enctype=text/plain form', 'text/plain', 'username=mallory&password=correct horse battery staple'],
    [
      'text/plain carrying JSON',
      'text/plain;charset=UTF-8',
      JSON.stringify({ username: 'mallory', password: 'correct horse battery staple' }),
    ],
  ];

  for (const route of ['/api/v1/auth/login', '/api/v1/tokens']) {
    for (const [what, type, payload] of bodies) {
      it(`${route} refuses ${what} with 415 and sets no cookie`, async () => {
        const res = await s.app.inject({
          method: 'POST',
          url: route,
          headers: { 'content-type': type, origin: 'https://evil.example' },
          payload,
        });
        expect(res.statusCode).toBe(415);
        expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
        expect(res.headers['set-cookie']).toBeUndefined();
      });
    }
  }

  it('the same credentials as JSON still log in (the control)', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'mallory', password: 'correct horse battery staple' },
    });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/hubbub_session=/);
  });

  it('every v1 write route answers a form body with 415, before authentication', async () => {
    const legacy = new Set(['/chat', '/updatemsg', '/a/message/new', '/a/message/updates']);
    const writes = s.app.routeTable.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !legacy.has(r.url));
    expect(writes.length).toBeGreaterThan(10);
    const got: string[] = [];
    for (const r of writes) {
      const url = r.url.replace(/:[A-Za-z]+/g, 'x');
      const res = await s.app.inject({
        method: r.method as 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=1',
      });
      if (res.statusCode !== 415) got.push(`${r.method} ${r.url} → ${res.statusCode}`);
    }
    expect(got).toEqual([]);
  });

  it('the legacy routes still take the forms their seeds post', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/chat',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'query=still+works',
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ code: 0, text: 'still works' });
  });
});
