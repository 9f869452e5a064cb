import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { fetchFile, fileUpload, filesOnDisk, jpegWithGps, sqliteCount, tinyPdf, uploadTo } from '../helpers/files.js';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import { listen, RawWs } from './transports.helpers.js';

/** Sending files with a message (HTTP and WebSocket), and what a delete does to their bytes. */
let s: Server & { dataDir: string };
let alice: Api;
let bob: Api;
let group: string;
let other: string;

beforeAll(async () => {
  s = await testServer({ rateLimits: { uploads: 10_000 } as never });
  alice = await userApi(s, 'alice');
  bob = await userApi(s, 'bob');
  await befriend(alice, bob);
  group = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'g', members: ['bob'] })).body.conversation.id;
  other = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'other', members: ['bob'] })).body.conversation.id;
});
afterAll(() => s.close());

async function upload(bytes: Buffer, name = 'f.bin', who = alice, conv = group) {
  const r = await uploadTo(s, who.token, conv, fileUpload(name, bytes));
  expect(r.status, r.body.toString()).toBe(201);
  return r.json().attachment;
}
const send = (body: object, who = alice, conv = group) => who.call('POST', `/api/v1/conversations/${conv}/messages`, body);
const messageCount = () => sqliteCount(s.dataDir, 'messages');

describe('send with attachments over HTTP', () => {
  test('files without text: the message carries them in the order given; members can fetch them', async () => {
    const photo = await upload(await jpegWithGps(), 'photo.jpg');
    const pdf = await upload(tinyPdf, 'doc.pdf');
    const r = await send({ attachments: [pdf.id, photo.id] });
    expect(r.status).toBe(201);
    expect(r.body.message.body).toBe('');
    expect(r.body.message.attachments).toEqual([pdf, photo]);
    const history = await bob.call('GET', `/api/v1/conversations/${group}/messages`);
    expect(history.body.messages.at(-1).attachments).toEqual([pdf, photo]);
    // Sent: the other members may fetch it now.
    expect((await fetchFile(s, bob.token, photo.url)).status).toBe(200);
    expect((await fetchFile(s, bob.token, photo.thumbnailUrl)).status).toBe(200);
  });

  test('text with files; an empty body without files is still BODY_EMPTY', async () => {
    const a = await upload(Buffer.from('notes'), 'notes.txt');
    const r = await send({ body: '  see attached  ', attachments: [a.id] });
    expect([r.status, r.body.message.body, r.body.message.attachments.length]).toEqual([201, 'see attached', 1]);
    const before = messageCount();
    expect((await send({ body: '   ' })).body.error.code).toBe('BODY_EMPTY');
    expect((await send({})).body.error.code).toBe('VALIDATION_FAILED');
    expect((await send({ attachments: [] })).body.error.code).toBe('BODY_EMPTY');
    expect(messageCount()).toBe(before);
  });

  test("refusals send nothing: a file already sent, another user's, another conversation's, unknown, twice, more than 10", async () => {
    const sent = await upload(Buffer.from('once'));
    expect((await send({ attachments: [sent.id] })).status).toBe(201);
    const bobs = await upload(Buffer.from('bob'), 'b.bin', bob);
    const elsewhere = await upload(Buffer.from('elsewhere'), 'e.bin', alice, other);
    const fresh = await upload(Buffer.from('fresh'));
    const eleven = await Promise.all([...Array(11).keys()].map((i) => upload(Buffer.from(`eleven ${i}`))));
    const before = messageCount();
    const cases: Array<[unknown, number, string]> = [
      [[sent.id], 409, 'ATTACHMENT_ALREADY_SENT'],
      [[fresh.id, sent.id], 409, 'ATTACHMENT_ALREADY_SENT'],
      [[bobs.id], 404, 'ATTACHMENT_NOT_FOUND'],
      [[elsewhere.id], 404, 'ATTACHMENT_NOT_FOUND'],
      [['999999'], 404, 'ATTACHMENT_NOT_FOUND'],
      [['abc'], 404, 'ATTACHMENT_NOT_FOUND'],
      [[fresh.id, fresh.id], 400, 'VALIDATION_FAILED'],
      [eleven.map((a) => a.id), 400, 'TOO_MANY_ATTACHMENTS'],
      ['not-a-list', 400, 'VALIDATION_FAILED'],
    ];
    for (const [attachments, status, code] of cases) {
      const r = await send({ body: 'x', attachments });
      expect([r.status, r.body.error?.code], JSON.stringify(attachments)).toEqual([status, code]);
    }
    expect(messageCount()).toBe(before);
    // Nothing was bound by the refusals: the fresh file can still be sent, once.
    expect((await send({ attachments: [fresh.id] })).status).toBe(201);
    expect((await send({ body: 'again', attachments: eleven.slice(0, 10).map((a) => a.id) })).status).toBe(201);
  });
});

describe('send with attachments over WebSocket', () => {
  test('the send frame takes attachments; the ack and the event carry them', async () => {
    const { baseUrl } = await listen(s);
    const a = await upload(Buffer.from('over the socket'), 'ws.txt');
    const c = RawWs.bearer(baseUrl, alice.token);
    try {
      await c.next((f) => f.type === 'hello', 'hello');
      const ack = await c.request({ type: 'send', ref: 'f1', conversationId: group, attachments: [a.id] });
      expect(ack).toMatchObject({ type: 'ack', ref: 'f1', message: { body: '', attachments: [a] } });
      await c.next(
        (f) => f.type === 'message.created' && f.message.id === ack.message.id && f.message.attachments[0]?.id === a.id,
        'the event',
      );
      expect(await c.request({ type: 'send', ref: 'f2', conversationId: group, attachments: [a.id] })).toMatchObject({
        type: 'error',
        ref: 'f2',
        error: { code: 'ATTACHMENT_ALREADY_SENT' },
      });
      expect(await c.request({ type: 'send', ref: 'f3', conversationId: group, attachments: [1] })).toMatchObject({
        type: 'error',
        error: { code: 'VALIDATION_FAILED' },
      });
      expect(await c.request({ type: 'send', ref: 'f4', conversationId: group })).toMatchObject({
        type: 'error',
        error: { code: 'VALIDATION_FAILED' },
      });
      expect(await c.request({ type: 'send', ref: 'f5', conversationId: group, attachments: [] })).toMatchObject({
        type: 'error',
        error: { code: 'BODY_EMPTY' },
      });
    } finally {
      c.ws.close();
    }
  });
});

describe('deleting a message', () => {
  test('removes its files: rows, bytes on disk (file and thumbnail), and the URLs answer 404', async () => {
    const before = filesOnDisk(s.dataDir);
    const photo = await upload(await jpegWithGps(60, 30), 'gone.jpg');
    const doc = await upload(crypto.randomBytes(2000), 'gone.bin');
    const added = filesOnDisk(s.dataDir).filter((f) => !before.includes(f));
    expect(added).toHaveLength(3); // photo, its thumbnail, the document
    const m = (await send({ attachments: [photo.id, doc.id] })).body.message;
    const del = await alice.call('DELETE', `/api/v1/messages/${m.id}`);
    expect([del.status, del.body.message.deleted, del.body.message.attachments]).toEqual([200, true, []]);
    expect(filesOnDisk(s.dataDir).filter((f) => added.includes(f))).toEqual([]);
    for (const url of [photo.url, photo.thumbnailUrl, doc.url]) expect((await fetchFile(s, alice.token, url)).status).toBe(404);
  });

  test('keeps bytes another message still uses (the same file sent twice is stored once)', async () => {
    const bytes = crypto.randomBytes(3000);
    const first = await upload(bytes, 'shared.bin');
    const second = await upload(bytes, 'shared-again.bin', bob);
    expect(
      filesOnDisk(s.dataDir).filter((f) => f.replace('/', '') === crypto.createHash('sha256').update(bytes).digest('hex')),
    ).toHaveLength(1);
    const m1 = (await send({ attachments: [first.id] })).body.message;
    await send({ attachments: [second.id] }, bob);
    await alice.call('DELETE', `/api/v1/messages/${m1.id}`);
    const still = await fetchFile(s, bob.token, second.url);
    expect([still.status, still.body.equals(bytes)]).toEqual([200, true]);
  });
});
