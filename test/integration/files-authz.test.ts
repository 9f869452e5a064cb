import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { fetchFile, fileUpload, png, tinyPdf, uploadTo } from '../helpers/files.js';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';

/**
 * Who may fetch a file, its thumbnail, or a link preview's image: every role
 * against every kind of file. A group's files: its current members; a room's:
 * anyone, logged out too; an upload not yet sent: its uploader alone.
 * Anything else is refused, and never answered from a shared cache.
 */
type Role = 'anon' | 'outsider' | 'member' | 'uploader' | 'former';
const ROLES: Role[] = ['anon', 'outsider', 'member', 'uploader', 'former'];

let s: Server & { dataDir: string };
let as: Record<Exclude<Role, 'anon'>, Api>;
let urls: Record<'group' | 'groupThumb' | 'unsent' | 'unsentThumb' | 'room' | 'roomThumb' | 'groupPreview' | 'roomPreview', string>;

beforeAll(async () => {
  s = await testServer({ rateLimits: { uploads: 10_000 } as never });
  const [uploader, member, outsider, former] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => userApi(s, n)));
  as = { uploader: uploader!, member: member!, outsider: outsider!, former: former! };
  for (const u of [member!, outsider!, former!]) await befriend(uploader!, u);
  const group = (await uploader!.call('POST', '/api/v1/conversations', { kind: 'group', name: 'g', members: ['bob', 'dave'] })).body
    .conversation.id;
  const room = (await uploader!.call('POST', '/api/v1/conversations', { kind: 'room', name: 'open' })).body.conversation.id;

  const sendFile = async (conv: string, body: Buffer, name: string, sendIt = true) => {
    const a = (await uploadTo(s, uploader!.token, conv, fileUpload(name, body))).json().attachment;
    if (sendIt) expect((await uploader!.call('POST', `/api/v1/conversations/${conv}/messages`, { attachments: [a.id] })).status).toBe(201);
    return a;
  };
  const groupFile = await sendFile(group, await png(20, 20), 'g.png');
  const unsent = await sendFile(group, await png(21, 21), 'u.png', false);
  const roomFile = await sendFile(room, await png(22, 22), 'r.png');
  // dave was a member when the file was sent, then left.
  expect((await former!.call('POST', `/api/v1/conversations/${group}/leave`)).status).toBe(200);

  // A link preview with a stored image, as the previewer would store it.
  const withPreview = async (conv: string, imageKey: string) => {
    const m = (await uploader!.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'see https://example.com/page' })).body
      .message;
    await s.store.setLinkPreview({
      messageId: m.id,
      preview: { url: 'https://example.com/page', title: 'Example', description: null, siteName: null, imageUrl: null },
      imageKey,
      now: new Date().toISOString(),
    });
    return `/api/v1/messages/${m.id}/preview-image`;
  };
  const keyOf = async (id: string) => (await s.store.getAttachment(id))!.blobKey;
  urls = {
    group: groupFile.url,
    groupThumb: groupFile.thumbnailUrl,
    unsent: unsent.url,
    unsentThumb: unsent.thumbnailUrl,
    room: roomFile.url,
    roomThumb: roomFile.thumbnailUrl,
    groupPreview: await withPreview(group, await keyOf(groupFile.id)),
    roomPreview: await withPreview(room, await keyOf(roomFile.id)),
  };
});
afterAll(() => s.close());

const statusFor = async (role: Role, url: string) => (await fetchFile(s, role === 'anon' ? null : as[role].token, url)).status;

const MATRIX: Record<keyof typeof urls, [number, number, number, number, number]> = {
  //             anon outsider member uploader former
  group: [401, 403, 200, 200, 403],
  groupThumb: [401, 403, 200, 200, 403],
  unsent: [401, 404, 404, 200, 404],
  unsentThumb: [401, 404, 404, 200, 404],
  room: [200, 200, 200, 200, 200],
  roomThumb: [200, 200, 200, 200, 200],
  groupPreview: [401, 403, 200, 200, 403],
  roomPreview: [200, 200, 200, 200, 200],
};

describe('file authorization', () => {
  test.each(Object.entries(MATRIX))('%s: [anon, outsider, member, uploader, former member] → %j', async (kind, expected) => {
    const url = urls[kind as keyof typeof urls];
    const got = [];
    for (const role of ROLES) got.push(await statusFor(role, url));
    expect(got).toEqual(expected);
    for (const method of ['HEAD']) {
      const head = await fetchFile(s, null, url, {}, method);
      expect(head.status).toBe(expected[0]);
    }
  });

  test("a room's files may be cached by anyone; a group's only privately", async () => {
    const room = await fetchFile(s, null, urls.room);
    expect(room.headers['cache-control']).toMatch(/^public, /);
    for (const url of [urls.group, urls.groupThumb, urls.groupPreview, urls.unsent]) {
      const r = await fetchFile(s, as.uploader.token, url);
      expect(r.headers['cache-control'], url).toMatch(/^private, /);
      expect(String(r.headers['cache-control'])).not.toContain('public');
    }
  });

  test('guessing ids: an outsider walking every id sees only room files', async () => {
    const max = Math.max(...Object.values(urls).map((u) => Number(/\/(\d+)/.exec(u)![1])));
    const seen: string[] = [];
    for (let id = 1; id <= max + 5; id++) {
      for (const url of [`/api/v1/files/${id}`, `/api/v1/files/${id}/thumbnail`]) {
        const r = await fetchFile(s, as.outsider.token, url);
        if (r.status === 200) seen.push(url);
        else expect([403, 404], url).toContain(r.status);
      }
    }
    expect(seen.sort()).toEqual([urls.room, urls.roomThumb].sort());
    for (const weird of [
      '/api/v1/files/..%2F..%2Fetc%2Fpasswd',
      '/api/v1/files/-1',
      '/api/v1/files/0x1',
      '/api/v1/files/1.0',
      '/api/v1/messages/abc/preview-image',
    ]) {
      expect([404], weird).toContain((await fetchFile(s, as.uploader.token, weird)).status);
    }
  });

  test("a member who joins later may fetch the group's earlier files", async () => {
    const erin = await userApi(s, 'erin');
    await befriend(as.uploader, erin);
    const group = (await as.uploader.call('GET', '/api/v1/conversations')).body.conversations.find((c: any) => c.name === 'g').id;
    expect(await statusFor('outsider', urls.group)).toBe(403);
    expect((await as.uploader.call('POST', `/api/v1/conversations/${group}/members`, { username: 'erin' })).status).toBe(201);
    expect((await fetchFile(s, erin.token, urls.group)).status).toBe(200);
    const pdf = (await uploadTo(s, erin.token, group, fileUpload('x.pdf', tinyPdf))).json().attachment;
    expect((await fetchFile(s, as.uploader.token, pdf.url)).status).toBe(404); // erin's, unsent
  });
});
