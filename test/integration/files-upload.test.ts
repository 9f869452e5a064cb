import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { fetchFile, fileUpload, html, jpegWithGps, multipart, png, svgWithScript, tinyPdf, uploadTo } from '../helpers/files.js';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';

/** Upload and serving over HTTP: the answer's shape, the headers that keep files inert, ranges and caching. */
let s: Server & { dataDir: string };
let alice: Api;
let bob: Api;
let group: string;

beforeAll(async () => {
  s = await testServer({ rateLimits: { uploads: 10_000 } as never });
  alice = await userApi(s, 'alice');
  bob = await userApi(s, 'bob');
  await befriend(alice, bob);
  group = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'g', members: ['bob'] })).body.conversation.id;
});
afterAll(() => s.close());

const upload = async (name: string, bytes: Buffer, who = alice) => {
  const r = await uploadTo(s, who.token, group, fileUpload(name, bytes));
  expect(r.status, r.body.toString()).toBe(201);
  return r.json().attachment;
};

describe('upload', () => {
  test('a photo: 201 with its re-encoded size, dimensions and thumbnail; the served bytes carry no EXIF or GPS', async () => {
    const photo = await jpegWithGps(40, 20);
    const a = await upload('holiday.jpg', photo);
    expect(a).toEqual({
      id: expect.stringMatching(/^\d+$/),
      name: 'holiday.jpg',
      size: expect.any(Number),
      type: 'image/jpeg',
      url: `/api/v1/files/${a.id}`,
      width: 20,
      height: 40,
      thumbnailUrl: `/api/v1/files/${a.id}/thumbnail`,
    });
    const r = await fetchFile(s, alice.token, a.url);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(a.size);
    expect(r.body.includes('HUBBUB-DATUM')).toBe(false);
    expect((await sharp(r.body).metadata()).exif).toBeUndefined();
    const thumb = await fetchFile(s, alice.token, a.thumbnailUrl);
    expect([thumb.status, thumb.headers['content-type']]).toEqual([200, 'image/webp']);
  });

  test('a file that is no image: type sniffed from the bytes, never from the name or the part header', async () => {
    const r = await uploadTo(
      s,
      alice.token,
      group,
      multipart([{ name: 'file', filename: 'cat.png', contentType: 'image/png', data: tinyPdf }]),
    );
    expect(r.status).toBe(201);
    const a = r.json().attachment;
    expect(a).toEqual({ id: a.id, name: 'cat.pdf', size: tinyPdf.length, type: 'application/pdf', url: `/api/v1/files/${a.id}` });
  });

  test('a path in the name is reduced to its last segment', async () => {
    const a = await upload('../../etc/passwd', Buffer.from('root:x:0:0'));
    expect([a.name, a.type]).toEqual(['passwd', 'application/octet-stream']);
    const b = await upload('C:\\temp\\..\\notes.txt', Buffer.from('notes'));
    expect(b.name).toBe('notes.txt');
  });

  test('an uploader who is not logged in, not a member, or names no conversation is refused before the body is read', async () => {
    const body = fileUpload('a.txt', Buffer.from('x'));
    const carol = await userApi(s, 'carol');
    expect((await uploadTo(s, null, group, body)).status).toBe(401);
    expect((await uploadTo(s, carol.token, group, body)).json().error.code).toBe('NOT_A_MEMBER');
    expect((await uploadTo(s, alice.token, '999999', body)).json().error.code).toBe('CONVERSATION_NOT_FOUND');
    expect((await uploadTo(s, alice.token, 'abc', body)).json().error.code).toBe('CONVERSATION_NOT_FOUND');
  });

  test('with a session cookie, an upload needs the CSRF token like any other mutation', async () => {
    const login = await s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'bob', password: 'hubbub-pass-4821' },
    });
    const cookie = login.cookies.find((c) => c.name === 'hubbub_session')!;
    const body = fileUpload('a.txt', Buffer.from('csrf'));
    const headers = { cookie: `hubbub_session=${cookie.value}`, 'content-type': body.contentType };
    const without = await s.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${group}/attachments`,
      headers,
      payload: body.payload,
    });
    expect([without.statusCode, without.json().error.code]).toEqual([403, 'CSRF_FAILED']);
    const csrf = login.json().csrfToken as string;
    const withToken = await s.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${group}/attachments`,
      headers: { ...headers, 'x-csrf-token': csrf },
      payload: body.payload,
    });
    expect(withToken.statusCode).toBe(201);
  });

  test('other routes stay JSON-only: multipart elsewhere is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const body = fileUpload('a.txt', Buffer.from('x'));
    const r = await s.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${group}/messages`,
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': body.contentType },
      payload: body.payload,
    });
    expect([r.statusCode, r.json().error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });
});

describe('serving', () => {
  test('every file: nosniff, a sandboxing CSP, an ETag, ranges, and a cache policy that is never public for a group', async () => {
    const a = await upload('report.pdf', tinyPdf);
    const r = await fetchFile(s, alice.token, a.url);
    expect(r.status).toBe(200);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(r.headers['cache-control']).toMatch(/^private, max-age=\d+, immutable$/);
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(r.headers['content-disposition']).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    expect(r.body.equals(tinyPdf)).toBe(true);
  });

  test('images are inline unless ?download=1; other files are always attachments', async () => {
    const img = await upload('dot.png', await png(4, 4));
    expect((await fetchFile(s, alice.token, img.url)).headers['content-disposition']).toMatch(/^inline; /);
    expect((await fetchFile(s, alice.token, `${img.url}?download=1`)).headers['content-disposition']).toMatch(/^attachment; /);
    const pdf = await upload('a.pdf', tinyPdf);
    expect((await fetchFile(s, alice.token, `${pdf.url}?download=0`)).headers['content-disposition']).toMatch(/^attachment; /);
  });

  test('SVG with script and HTML are stored as sent but only ever served as application/octet-stream downloads', async () => {
    for (const [name, bytes, type] of [
      ['logo.svg', svgWithScript, 'image/svg+xml'],
      ['page.html', html, 'application/octet-stream'],
    ] as const) {
      const a = await upload(name, bytes);
      expect([a.type, a.thumbnailUrl, a.width]).toEqual([type, undefined, undefined]);
      const r = await fetchFile(s, alice.token, a.url);
      expect(r.headers['content-type']).toBe('application/octet-stream');
      expect(r.headers['content-disposition']).toMatch(/^attachment; /);
      expect(r.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
      expect(r.body.equals(bytes)).toBe(true);
    }
  });

  test('a non-ASCII name: an ASCII fallback and the RFC 5987 filename*', async () => {
    const a = await upload('消息 记录 100%.pdf', tinyPdf);
    const d = (await fetchFile(s, alice.token, a.url)).headers['content-disposition'] as string;
    expect(a.name).toBe('消息 记录 100%.pdf');
    expect(d).toBe(`attachment; filename="__ __ 100_.pdf"; filename*=UTF-8''${encodeURIComponent('消息 记录 100%.pdf')}`);
  });

  test('Range: one range is 206, suffix and open ranges work, past the end is 416, anything else is the whole file', async () => {
    const bytes = Buffer.from('0123456789abcdefghij');
    const a = await upload('r.bin', bytes);
    const range = (h: string, extra: Record<string, string> = {}) => fetchFile(s, alice.token, a.url, { range: h, ...extra });
    let r = await range('bytes=2-5');
    expect([r.status, r.headers['content-range'], r.body.toString()]).toEqual([206, 'bytes 2-5/20', '2345']);
    r = await range('bytes=-3');
    expect([r.status, r.headers['content-range'], r.body.toString()]).toEqual([206, 'bytes 17-19/20', 'hij']);
    r = await range('bytes=15-');
    expect([r.status, r.body.toString()]).toEqual([206, 'fghij']);
    r = await range('bytes=18-400');
    expect([r.status, r.headers['content-range'], r.body.toString()]).toEqual([206, 'bytes 18-19/20', 'ij']);
    r = await range('bytes=20-25');
    expect([r.status, r.headers['content-range'], r.json().error.code]).toEqual([416, 'bytes */20', 'RANGE_NOT_SATISFIABLE']);
    expect(r.headers['cache-control']).toBeUndefined();
    for (const ignored of ['bytes=0-1,4-5', 'lines=1-2', 'bytes=5-2', 'bytes=x-y']) {
      r = await range(ignored);
      expect([r.status, r.body.length], ignored).toEqual([200, 20]);
    }
    // If-Range with another ETag: the file changed as far as the client knows, so the whole of it.
    r = await range('bytes=2-5', { 'if-range': '"0000"' });
    expect(r.status).toBe(200);
    r = await range('bytes=2-5', { 'if-range': (await fetchFile(s, alice.token, a.url)).headers.etag as string });
    expect(r.status).toBe(206);
  });

  test('HEAD answers the headers without the bytes; If-None-Match with the ETag is 304', async () => {
    const a = await upload('h.bin', Buffer.from('head me'));
    const head = await fetchFile(s, alice.token, a.url, {}, 'HEAD');
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, '7', 0]);
    expect(head.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    const etag = head.headers.etag as string;
    const again = await fetchFile(s, alice.token, a.url, { 'if-none-match': etag });
    expect([again.status, again.body.length]).toEqual([304, 0]);
  });

  test('no such file, or an id that is no id: 404 ATTACHMENT_NOT_FOUND', async () => {
    for (const url of ['/api/v1/files/999999', '/api/v1/files/abc', '/api/v1/files/1e3', '/api/v1/files/999999/thumbnail']) {
      const r = await fetchFile(s, alice.token, url);
      expect([r.status, r.json().error.code], url).toEqual([404, 'ATTACHMENT_NOT_FOUND']);
    }
    const pdf = await upload('n.pdf', tinyPdf);
    expect((await fetchFile(s, alice.token, `${pdf.url}/thumbnail`)).json().error.code).toBe('ATTACHMENT_NOT_FOUND');
  });
});
