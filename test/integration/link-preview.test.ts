import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/domain/types.js';
import type { Server } from '../../src/server.js';
import { findPostgres } from '../contract/store.contract.js';
import { dropSchemas, waitFor } from '../helpers/cluster.js';
import { jpegWithGps } from '../helpers/files.js';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import { html, page, TestSite } from './link-preview.helpers.js';

/**
 * Link previews end to end: a message's first link is fetched by the server
 * after the send (never blocking it), and the preview reaches every client
 * as message.updated; its image is a re-encoded copy served by hubbub. The
 * linked site is on 127.0.0.1, so these suites allow private addresses;
 * link-preview-guard.test.ts shows the same links refused without that.
 */
const pg = await findPostgres();
const schemas: string[] = [];
afterAll(async () => {
  if (pg.url) await dropSchemas(pg.url, schemas);
});

let site: TestSite;
beforeAll(async () => {
  const photo = await jpegWithGps(1200, 800);
  site = await new TestSite({
    '/article': page(`
      <title>Plain title</title>
      <meta property="og:title" content="Hubbub ships files &amp; search">
      <meta property="og:description" content="消息 can now be found.">
      <meta property="og:site_name" content="Hubbub News">
      <meta property="og:image" content="/cover.jpg">`),
    '/cover.jpg': (_req, res) => void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo),
    '/a': page('<title>Page A</title>'),
    '/b': page('<title>Page B</title>'),
    '/c': page('<title>Page C</title>'),
    '/plain': (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(html('<title>Not HTML</title>')),
    '/picture': (_req, res) => void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo),
    '/hang': () => undefined,
  }).start();
});
afterAll(() => site.close());

const open: Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function setup(config: Parameters<typeof testServer>[0] = {}) {
  const s = await testServer({ linkPreviewAllowPrivate: true, ...config });
  open.push(s);
  const [alice, bob, eve] = [await userApi(s, 'alice'), await userApi(s, 'bob'), await userApi(s, 'eve')];
  await befriend(alice, bob);
  const conv = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id as string;
  const send = async (body: string): Promise<Message> => {
    const r = await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.message;
  };
  const current = async (id: string): Promise<Message> => {
    const r = await bob.call('GET', `/api/v1/conversations/${conv}/messages?limit=100`);
    return r.body.messages.find((x: Message) => x.id === id);
  };
  return { s, alice, bob, eve, conv, send, current };
}

/** Every message.updated of `who`'s stream after `cursor`, until `until` holds for one. */
async function updates(who: Api, cursor: string, until: (m: Message) => boolean): Promise<Message[]> {
  const seen: Message[] = [];
  await waitFor(async () => {
    const r = await who.call('GET', `/api/v1/sync?since=${cursor}`);
    seen.length = 0;
    for (const e of r.body.events) if (e.type === 'message.updated') seen.push(e.message);
    return seen.some(until);
  }, 'a message.updated on the stream');
  return seen;
}

function drainedOrClosed(res: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const dialects = [
  { name: 'SQLite', skip: false, config: () => ({}) },
  {
    name: pg.url ? 'PostgreSQL' : `PostgreSQL (unreachable at ${pg.tried})`,
    skip: !pg.url,
    config: () => {
      const schema = `hubbub_link_preview_${process.pid}_${Date.now().toString(36)}`;
      schemas.push(schema);
      return { databaseUrl: pg.url!, databaseSchema: schema };
    },
  },
];

describe.each(dialects)('a link preview on $name', ({ skip, config }) => {
  it.skipIf(skip)('is fetched after the send, stored with the message and delivered as message.updated', async () => {
    const { s, bob, eve, send, current } = await setup(config());
    const cursor = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    const url = `${site.base}/article`;
    const sent = await send(`read this: ${url} — good news`);
    expect(sent.linkPreview).toBeNull();

    const [updated] = await updates(bob, cursor, (m) => m.id === sent.id && m.linkPreview !== null);
    expect(updated.linkPreview).toEqual({
      url,
      title: 'Hubbub ships files & search',
      description: '消息 can now be found.',
      siteName: 'Hubbub News',
      imageUrl: `/api/v1/messages/${sent.id}/preview-image`,
    });
    expect(updated.body).toBe(sent.body);
    expect(updated.editedAt).toBeNull(); // a preview is not an edit
    expect((await current(sent.id)).linkPreview).toEqual(updated.linkPreview);
    expect(s.previews.stats()).toMatchObject({ stored: 1, inFlight: 0, waiting: 0 });

    // The image is hubbub's own re-encoded copy: smaller, and without the EXIF and GPS the original carried.
    const img = await s.app.inject({
      method: 'GET',
      url: updated.linkPreview!.imageUrl!,
      headers: { authorization: `Bearer ${bob.token}` },
    });
    expect(img.statusCode).toBe(200);
    expect(img.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(img.rawPayload).metadata();
    expect([meta.width, meta.height]).toEqual([400, 600]); // turned upright by its orientation, then fit in 600×600
    expect(meta.exif).toBeUndefined();
    expect(img.rawPayload.includes('HUBBUB-DATUM')).toBe(false);
    // …readable like the conversation.
    const stranger = await s.app.inject({
      method: 'GET',
      url: updated.linkPreview!.imageUrl!,
      headers: { authorization: `Bearer ${eve.token}` },
    });
    expect(stranger.statusCode).toBe(403);
    expect((await s.app.inject({ method: 'GET', url: updated.linkPreview!.imageUrl! })).statusCode).toBe(401);
  });
});

describe('link previews', () => {
  it('are skipped for pages that are not HTML', async () => {
    const { s, send, current } = await setup();
    const a = await send(`${site.base}/plain`);
    const b = await send(`${site.base}/picture`);
    await waitFor(() => s.previews.stats().none === 2, 'both fetches to end');
    expect((await current(a.id)).linkPreview).toBeNull();
    expect((await current(b.id)).linkPreview).toBeNull();
  });

  it('read at most linkPreviewMaxBytes of a page', async () => {
    let cut = false;
    const padding = `<meta name="pad" content="${'x'.repeat(1000)}">`.repeat(5000); // 5 MB
    const big = new TestSite({
      '/big': async (req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.on('close', () => {
          if (!res.writableFinished) cut = true;
        });
        res.write('<html><head><title>Early title</title>');
        for (let at = 0; at < padding.length && !req.destroyed; at += 65_536) {
          if (!res.write(padding.slice(at, at + 65_536))) await drainedOrClosed(res);
        }
        res.end('<meta property="og:title" content="Late title"></head>');
      },
    });
    await big.start();
    try {
      const { s, send, current } = await setup({ linkPreviewMaxBytes: 64 * 1024 });
      const m = await send(`${big.base}/big`);
      await waitFor(() => s.previews.stats().stored === 1, 'the preview');
      expect((await current(m.id)).linkPreview?.title).toBe('Early title');
      await waitFor(() => cut, 'the server to see its answer cut short');
    } finally {
      await big.close();
    }
  });

  it('give up at linkPreviewTimeoutMs, and never hold up the send', async () => {
    const { s, send, current } = await setup({ linkPreviewTimeoutMs: 200 });
    const before = site.count('/hang');
    const m = await send(`${site.base}/hang`); // answered while the site has not answered
    await waitFor(() => s.previews.stats().failed === 1, 'the fetch to time out');
    expect(site.count('/hang')).toBe(before + 1);
    const req = site.open.get('/hang')!;
    await waitFor(() => req.socket.destroyed, 'the connection to be closed');
    expect((await current(m.id)).linkPreview).toBeNull();
  });

  it('are not stored for a link the message no longer has', async () => {
    const { s, alice, send, current } = await setup();
    site.hold('/a');
    const m = await send(`first ${site.base}/a`);
    await waitFor(() => site.open.has('/a') && s.previews.stats().inFlight === 1, 'the fetch of A');
    expect((await alice.call('PATCH', `/api/v1/messages/${m.id}`, { body: `now ${site.base}/b` })).status).toBe(200);
    await waitFor(async () => (await current(m.id)).linkPreview?.title === 'Page B', 'the preview of B');
    site.release('/a');
    await waitFor(() => s.previews.stats().stale === 1, 'the fetch of A to end');
    expect((await current(m.id)).linkPreview).toMatchObject({ url: `${site.base}/b`, title: 'Page B' });

    // An edit that drops or changes the link drops the old preview with it.
    expect((await alice.call('PATCH', `/api/v1/messages/${m.id}`, { body: `changed to ${site.base}/plain` })).status).toBe(200);
    expect((await current(m.id)).linkPreview).toBeNull();
    await waitFor(() => s.previews.stats().none === 1, 'the fetch of the new link');
    expect((await current(m.id)).linkPreview).toBeNull();
  });

  it('keep the preview through an edit that keeps the link, without fetching it again', async () => {
    const { s, alice, send, current } = await setup();
    const before = site.count('/c');
    const m = await send(`see ${site.base}/c`);
    await waitFor(() => s.previews.stats().stored === 1, 'the preview');
    expect((await alice.call('PATCH', `/api/v1/messages/${m.id}`, { body: `still see ${site.base}/c !` })).status).toBe(200);
    expect((await current(m.id)).linkPreview?.title).toBe('Page C');
    expect(site.count('/c')).toBe(before + 1);
    expect(s.previews.stats()).toMatchObject({ inFlight: 0, waiting: 0, stored: 1 });
  });

  it('are not stored for a message deleted meanwhile', async () => {
    const { s, alice, send, current } = await setup();
    site.hold('/a');
    const m = await send(`soon gone ${site.base}/a`);
    await waitFor(() => s.previews.stats().inFlight === 1, 'the fetch');
    expect((await alice.call('DELETE', `/api/v1/messages/${m.id}`)).status).toBe(200);
    site.release('/a');
    await waitFor(() => s.previews.stats().stale === 1, 'the fetch to end');
    expect(await current(m.id)).toMatchObject({ deleted: true, linkPreview: null });
  });

  it('queue linkPreviewConcurrency links and drop further ones', async () => {
    const { s, send, current } = await setup({ linkPreviewConcurrency: 1 });
    site.hold('/a');
    const first = await send(`${site.base}/a`);
    await waitFor(() => s.previews.stats().inFlight === 1, 'the first fetch');
    const second = await send(`${site.base}/b`);
    const third = await send(`${site.base}/c`);
    expect(s.previews.stats()).toMatchObject({ inFlight: 1, waiting: 1, dropped: 1 });
    site.release('/a');
    await waitFor(() => s.previews.stats().stored === 2, 'the queued fetch');
    expect((await current(first.id)).linkPreview?.title).toBe('Page A');
    expect((await current(second.id)).linkPreview?.title).toBe('Page B');
    expect((await current(third.id)).linkPreview).toBeNull();
  });

  it('fetch only the newest link of a message edited while it waits', async () => {
    const { s, alice, send, current } = await setup({ linkPreviewConcurrency: 1 });
    site.hold('/a');
    await send(`${site.base}/a`);
    await waitFor(() => s.previews.stats().inFlight === 1, 'the first fetch');
    const beforeB = site.count('/b');
    const m = await send(`${site.base}/b`);
    expect(s.previews.stats().waiting).toBe(1);
    expect((await alice.call('PATCH', `/api/v1/messages/${m.id}`, { body: `${site.base}/c` })).status).toBe(200);
    expect(s.previews.stats()).toMatchObject({ waiting: 1, dropped: 0 });
    site.release('/a');
    await waitFor(() => s.previews.stats().stored === 2, 'both previews');
    expect((await current(m.id)).linkPreview?.title).toBe('Page C');
    expect(site.count('/b')).toBe(beforeB);
  });

  it('are not fetched when linkPreviews is off', async () => {
    const { s, send } = await setup({ linkPreviews: false });
    const before = site.count('/c');
    await send(`${site.base}/c`);
    expect(s.previews.stats()).toMatchObject({ inFlight: 0, waiting: 0 });
    expect(site.count('/c')).toBe(before);
  });

  it('are aborted when the server closes', async () => {
    const { s, send } = await setup();
    const before = site.count('/hang');
    await send(`${site.base}/hang`);
    await waitFor(() => site.count('/hang') === before + 1, 'the request to arrive');
    const req = site.open.get('/hang')!;
    await s.close();
    expect(s.previews.stats()).toMatchObject({ inFlight: 0, failed: 1 });
    await waitFor(() => req.socket.destroyed, 'the connection to be closed');
  });
});
