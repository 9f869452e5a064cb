import crypto from 'node:crypto';
import http from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { fileUpload, filesOnDisk, multipart, png, pngBomb, sqliteCount, uploadTo, type Fetched } from '../helpers/files.js';
import { testServer, userApi, type Api } from '../helpers/server.js';

/**
 * Every refusal of an upload answers its documented code and leaves nothing:
 * no bytes under dataDir/files, no attachments row, no message.
 */
const MAX_FILE = 40_000;
let s: Server & { dataDir: string };
let users: Api[];
let room: string;

beforeAll(async () => {
  s = await testServer({
    maxFileBytes: MAX_FILE,
    uploadQuotaBytes: 50_000,
    filesTotalBytes: 100_000,
    maxImagePixels: 1_000_000,
    rateLimits: { uploads: 10_000 } as never,
  });
  users = await Promise.all(['user1', 'user2', 'user3', 'user4'].map((n) => userApi(s, n)));
  room = (await users[0]!.call('POST', '/api/v1/conversations', { kind: 'room', name: 'bounds' })).body.conversation.id;
  for (const u of users.slice(1)) expect((await u.call('POST', `/api/v1/conversations/${room}/join`)).status).toBe(200);
});
afterAll(() => s.close());

/** Nothing stored: the same blobs, attachment rows and messages as before `fn`. */
async function leavesNothing(fn: () => Promise<Fetched>, status: number, code: string): Promise<void> {
  const before = {
    files: filesOnDisk(s.dataDir),
    rows: sqliteCount(s.dataDir, 'attachments'),
    messages: sqliteCount(s.dataDir, 'messages'),
  };
  const r = await fn();
  expect([r.status, r.json().error?.code]).toEqual([status, code]);
  expect({
    files: filesOnDisk(s.dataDir),
    rows: sqliteCount(s.dataDir, 'attachments'),
    messages: sqliteCount(s.dataDir, 'messages'),
  }).toEqual(before);
}

const up = (body: { payload: Buffer | string; contentType: string }, who = 0) => uploadTo(s, users[who]!.token, room, body);
const noise = (n: number) => crypto.randomBytes(n);

describe('refusals that leave nothing', () => {
  test('not multipart: JSON, plain text, a form, no body → 415 MULTIPART_REQUIRED (before authentication, as every route)', async () => {
    const anon = await s.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${room}/attachments`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'file=x',
    });
    expect([anon.statusCode, anon.json().error.code]).toEqual([415, 'MULTIPART_REQUIRED']);
    const empty = await s.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${room}/attachments`,
      headers: { authorization: `Bearer ${users[0]!.token}` },
    });
    expect([empty.statusCode, empty.json().error.code]).toEqual([415, 'MULTIPART_REQUIRED']);
    await leavesNothing(() => up({ payload: '{"file":"x"}', contentType: 'application/json' }), 415, 'MULTIPART_REQUIRED');
    await leavesNothing(() => up({ payload: 'just bytes', contentType: 'image/png' }), 415, 'MULTIPART_REQUIRED');
    await leavesNothing(() => up({ payload: '', contentType: 'text/plain' }), 415, 'MULTIPART_REQUIRED');
  });

  test('multipart without a part named "file", or with broken framing → 415 MULTIPART_REQUIRED', async () => {
    await leavesNothing(() => up(multipart([{ name: 'note', data: 'no file here' }])), 415, 'MULTIPART_REQUIRED');
    await leavesNothing(() => up(multipart([{ name: 'upload', filename: 'a.txt', data: 'wrong field' }])), 415, 'MULTIPART_REQUIRED');
    const broken = fileUpload('a.txt', noise(100));
    await leavesNothing(() => up({ payload: broken.payload.subarray(0, 120), contentType: broken.contentType }), 415, 'MULTIPART_REQUIRED');
    await leavesNothing(() => up({ payload: broken.payload, contentType: 'multipart/form-data' }), 415, 'MULTIPART_REQUIRED');
  });

  test('two files in one upload → 400 TOO_MANY_FILES', async () => {
    const two = multipart([
      { name: 'file', filename: 'a.bin', data: noise(10) },
      { name: 'file', filename: 'b.bin', data: noise(10) },
    ]);
    await leavesNothing(() => up(two), 400, 'TOO_MANY_FILES');
  });

  test('a zero-byte file → 400 FILE_EMPTY', async () => {
    await leavesNothing(() => up(fileUpload('empty.txt', Buffer.alloc(0))), 400, 'FILE_EMPTY');
  });

  test('over maxFileBytes → 413 FILE_TOO_LARGE, whether Content-Length declares it or a chunked stream only shows it', async () => {
    await leavesNothing(() => up(fileUpload('big.bin', noise(MAX_FILE + 1))), 413, 'FILE_TOO_LARGE');
    // Declared size within the framing allowance, file just over: found while streaming.
    await leavesNothing(() => up(fileUpload('big.bin', noise(MAX_FILE + 10))), 413, 'FILE_TOO_LARGE');
    await leavesNothing(() => chunkedUpload(fileUpload('big.bin', noise(MAX_FILE * 3))), 413, 'FILE_TOO_LARGE');
    // Exactly the limit is fine.
    const exact = await up(fileUpload('exact.bin', noise(MAX_FILE)), 3);
    expect(exact.status).toBe(201);
  });

  test('a decompression bomb → 400 IMAGE_TOO_LARGE; a corrupt image → 400 IMAGE_UNREADABLE', async () => {
    await leavesNothing(() => up(fileUpload('bomb.png', pngBomb())), 400, 'IMAGE_TOO_LARGE');
    const broken = Buffer.concat([(await png(10, 10)).subarray(0, 40), noise(30)]);
    await leavesNothing(() => up(fileUpload('broken.png', broken)), 400, 'IMAGE_UNREADABLE');
  });

  test("past the uploader's quota → 403 UPLOAD_QUOTA_EXCEEDED; past the node's total → 507 FILE_STORAGE_FULL", async () => {
    expect((await up(fileUpload('first.bin', noise(30_000)), 1)).status).toBe(201);
    await leavesNothing(() => up(fileUpload('second.bin', noise(30_000)), 1), 403, 'UPLOAD_QUOTA_EXCEEDED');
    // The node holds user2's 30,000 and user4's 40,000 (the exact-limit test): 30,000 more would pass 100,000.
    await leavesNothing(() => up(fileUpload('third.bin', noise(35_000)), 2), 507, 'FILE_STORAGE_FULL');
  });

  test('an image refused by the quota leaves neither the image nor its thumbnail', async () => {
    // user2 has 20,000 bytes of quota left: a PNG of noise re-encodes to far more.
    const big = await sharp(noise(100 * 100 * 3), { raw: { width: 100, height: 100, channels: 3 } })
      .png()
      .toBuffer();
    expect(big.length).toBeGreaterThan(20_000);
    await leavesNothing(() => up(fileUpload('photo.png', big), 1), 403, 'UPLOAD_QUOTA_EXCEEDED');
  });
});

describe('a client that hangs up', () => {
  test('mid-upload: nothing is stored and the node carries on', async () => {
    const before = { files: filesOnDisk(s.dataDir), rows: sqliteCount(s.dataDir, 'attachments') };
    const body = fileUpload('cut.bin', noise(MAX_FILE - 100));
    await s.app.listen({ port: 0, host: '127.0.0.1' }).catch(() => undefined);
    const { port } = s.app.server.address() as { port: number };
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/api/v1/conversations/${room}/attachments`,
      headers: {
        authorization: `Bearer ${users[0]!.token}`,
        'content-type': body.contentType,
        'content-length': String(body.payload.length),
      },
    });
    const closed = new Promise((resolve) => req.on('close', resolve));
    req.on('error', () => undefined);
    await new Promise<void>((resolve) => req.write(body.payload.subarray(0, body.payload.length >> 1), () => resolve()));
    req.destroy();
    await closed;
    // The node answers the next upload as usual (an empty file: refused, stores nothing either).
    await leavesNothing(() => up(fileUpload('next.txt', Buffer.alloc(0))), 400, 'FILE_EMPTY');
    expect({ files: filesOnDisk(s.dataDir), rows: sqliteCount(s.dataDir, 'attachments') }).toEqual(before);
  });
});

describe('the upload rate', () => {
  test('more than rateLimits.uploads a minute → 429 RATE_LIMITED, before the body is read', async () => {
    const t = await testServer({ rateLimits: { uploads: 2 } as never });
    try {
      const u = await userApi(t, 'rater');
      const g = (await u.call('POST', '/api/v1/conversations', { kind: 'group', name: 'g' })).body.conversation.id;
      for (let i = 0; i < 2; i++) expect((await uploadTo(t, u.token, g, fileUpload(`${i}.bin`, noise(10)))).status).toBe(201);
      const third = await uploadTo(t, u.token, g, fileUpload('2.bin', noise(10)));
      expect([third.status, third.json().error.code]).toEqual([429, 'RATE_LIMITED']);
      expect(filesOnDisk(t.dataDir)).toHaveLength(2);
    } finally {
      await t.close();
    }
  });
});

/** The same upload as chunked transfer encoding (no Content-Length), through a real socket. */
async function chunkedUpload(body: { payload: Buffer; contentType: string }): Promise<Fetched> {
  await s.app.listen({ port: 0, host: '127.0.0.1' }).catch(() => undefined);
  const { port } = s.app.server.address() as { port: number };
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/v1/conversations/${room}/attachments`,
        headers: { authorization: `Bearer ${users[0]!.token}`, 'content-type': body.contentType, 'transfer-encoding': 'chunked' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, headers: res.headers, body: raw, json: () => JSON.parse(raw.toString()) });
        });
      },
    );
    req.on('error', reject);
    for (let at = 0; at < body.payload.length; at += 8192) req.write(body.payload.subarray(at, at + 8192));
    req.end();
  });
}
