import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testServer, userApi, type Api } from '../helpers/server.js';

type TestServer = Awaited<ReturnType<typeof testServer>>;

/** Waits for a condition the server reports (not for time to pass). */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const waiting = (s: TestServer) => s.hub.stats().byKind['compat-longpoll'] ?? 0;

function form(fields: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
}

async function start(config: Parameters<typeof testServer>[0] = {}) {
  const server = await testServer(config);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.app.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const post = (path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(base + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: form(fields),
      signal,
    });
  return { server, base, port, post };
}

async function lobbyMember(server: TestServer, name: string): Promise<Api & { lobbyId: string; say(body: string): Promise<any> }> {
  const api = await userApi(server, name, 'lobby member passphrase 4471');
  const rooms = await api.call('GET', '/api/v1/rooms');
  const lobbyId = rooms.body.rooms.find((r: any) => r.name === 'lobby').id as string;
  expect((await api.call('POST', `/api/v1/conversations/${lobbyId}/join`)).status).toBe(200);
  return Object.assign(api, {
    lobbyId,
    async say(body: string) {
      const r = await api.call('POST', `/api/v1/conversations/${lobbyId}/messages`, { body });
      expect(r.status).toBe(201);
      return r.body.message;
    },
  });
}

async function lobbyHistory(server: TestServer): Promise<any[]> {
  const r = await server.app.inject({ method: 'GET', url: '/api/v1/rooms/lobby/messages?limit=100' });
  expect(r.statusCode).toBe(200);
  return r.json().messages;
}

describe('compat adapters', () => {
  let s: Awaited<ReturnType<typeof start>>;
  let alice: Awaited<ReturnType<typeof lobbyMember>>;
  let xsrf: string;
  let cookie: string;

  beforeAll(async () => {
    s = await start();
    alice = await lobbyMember(s.server, 'alice');
    const page = await fetch(s.base + '/chatdemo');
    const set = page.headers.getSetCookie().find((c) => c.startsWith('_xsrf='))!;
    xsrf = /^_xsrf=([^;]+)/.exec(set)![1]!;
    cookie = `_xsrf=${xsrf}`;
  });
  afterAll(async () => {
    await s.server.close();
  });

  describe('Tornado chatdemo: /a/message/new + /a/message/updates', () => {
    const withXsrf = (fields: Record<string, string | string[]>) => ({ ...fields, _xsrf: xsrf });

    it('GET /chatdemo issues a readable _xsrf cookie once and renders the page with it', async () => {
      const first = await fetch(s.base + '/chatdemo');
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toMatch(/text\/html/);
      const set = first.headers.getSetCookie().find((c) => c.startsWith('_xsrf='))!;
      expect(set).toMatch(/^_xsrf=[0-9a-f]{32}; Path=\//);
      expect(set).not.toMatch(/HttpOnly/i);
      const token = /^_xsrf=([^;]+)/.exec(set)![1]!;
      const html = await first.text();
      expect(html).toContain(`name="_xsrf" value="${token}"`);
      expect(html).toContain('action="/a/message/new"');
      // Only the page's own (nonce'd) script may run; and that script is valid.
      const csp = first.headers.get('content-security-policy')!;
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
      const script = new RegExp(`<script nonce="${nonce.replace(/[+/=]/g, '\\$&')}">([\\s\\S]*?)</script>`).exec(html)![1]!;
      expect(() => new Function(script)).not.toThrow();
      const again = await fetch(s.base + '/chatdemo', { headers: { cookie: `_xsrf=${token}` } });
      expect(again.headers.getSetCookie().filter((c) => c.startsWith('_xsrf='))).toEqual([]);
      expect(await again.text()).toContain(`value="${token}"`);
    });

    it('refuses posts and polls whose _xsrf is missing or does not match the cookie (403), storing nothing', async () => {
      const before = (await lobbyHistory(s.server)).length;
      const missing = await s.post('/a/message/new', { body: 'no token' }, { cookie });
      expect(missing.status).toBe(403);
      expect((await missing.json()).error.code).toBe('CSRF_FAILED');
      const noCookie = await s.post('/a/message/new', withXsrf({ body: 'no cookie' }));
      expect(noCookie.status).toBe(403);
      const wrong = await s.post('/a/message/new', { body: 'wrong', _xsrf: 'f'.repeat(32) }, { cookie });
      expect(wrong.status).toBe(403);
      expect((await wrong.json()).error.message).toMatch(/does not match/);
      const poll = await s.post('/a/message/updates', { cursor: '' }, { cookie });
      expect(poll.status).toBe(403);
      expect((await lobbyHistory(s.server)).length).toBe(before);
    });

    it('posts to the lobby as guest: answers {id, from, body, html} with the escaped template, and v1 history and sync see it', async () => {
      const head = (await alice.call('GET', '/api/v1/sync')).body.cursor as string;
      const body = `<script>alert("x")</script> & see https://example.com/a?b=1&c=2. or javascript:alert(1)`;
      const res = await s.post('/a/message/new', withXsrf({ body: `  ${body}  ` }), { cookie });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const m = await res.json();
      expect(Object.keys(m).sort()).toEqual(['body', 'from', 'html', 'id']);
      expect(m.id).toMatch(/^c[0-9a-z]+$/);
      expect(m.from).toBe('guest');
      expect(m.body).toBe(body);
      expect(m.html).toBe(
        `<div class="message" id="m${m.id}"><b>guest: </b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; see ` +
          `<a href="https://example.com/a?b=1&amp;c=2">https://example.com/a?b=1&amp;c=2</a>. or javascript:alert(1)</div>`,
      );

      const last = (await lobbyHistory(s.server)).at(-1);
      expect(last).toMatchObject({ body, senderName: 'guest' });
      const sync = await alice.call('GET', `/api/v1/sync?since=${head}`);
      const created = sync.body.events.filter((e: any) => e.type === 'message.created');
      expect(created.map((e: any) => e.message.body)).toEqual([body]);
      expect(created[0].cursor).toBe(m.id); // the legacy id is the event's cursor
    });

    it('a pending update is answered by a message sent through the v1 API', async () => {
      const mine = await (await s.post('/a/message/new', withXsrf({ body: 'legacy first' }), { cookie })).json();
      const pending = s.post('/a/message/updates', withXsrf({ cursor: mine.id }), { cookie });
      await until(() => waiting(s.server) === 1, 'the update to wait');
      const sent = await alice.say('hello from <v1>');
      const res = await pending;
      expect(res.status).toBe(200);
      const { messages } = await res.json();
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({
        from: 'alice',
        body: sent.body,
        html: expect.stringContaining('<b>alice: </b>hello from &lt;v1&gt;</div>'),
      });
      expect(parseInt(messages[0].id.slice(1), 36)).toBeGreaterThan(parseInt(mine.id.slice(1), 36));
      expect(waiting(s.server)).toBe(0);
    });

    it('without a cursor an update waits for the next message only', async () => {
      await alice.say('said before the poll');
      const pending = s.post('/a/message/updates', withXsrf({}), { cookie });
      await until(() => waiting(s.server) === 1, 'the update to wait');
      await alice.say('said during the poll');
      const { messages } = await (await pending).json();
      expect(messages.map((m: any) => m.body)).toEqual(['said during the poll']);
    });

    it('an update with an older cursor answers at once with everything after it, in order', async () => {
      const first = await (await s.post('/a/message/new', withXsrf({ body: 'catch-up 0' }), { cookie })).json();
      for (let i = 1; i <= 3; i++) await alice.say(`catch-up ${i}`);
      await s.post('/a/message/new', withXsrf({ body: 'catch-up 4' }), { cookie });
      const { messages } = await (await s.post('/a/message/updates', withXsrf({ cursor: first.id }), { cookie })).json();
      expect(messages.map((m: any) => m.body)).toEqual(['catch-up 1', 'catch-up 2', 'catch-up 3', 'catch-up 4']);
      expect(messages.map((m: any) => m.from)).toEqual(['alice', 'alice', 'alice', 'guest']);
      // Following the client's rule (cursor = last id) the next poll waits for what is new.
      const next = s.post('/a/message/updates', withXsrf({ cursor: messages.at(-1).id }), { cookie });
      await until(() => waiting(s.server) === 1, 'the update to wait');
      await alice.say('catch-up 5');
      expect((await (await next).json()).messages.map((m: any) => m.body)).toEqual(['catch-up 5']);
    });

    it('redirects to a same-site `next`, refuses any other', async () => {
      const ok = await s.post('/a/message/new', withXsrf({ body: 'via the plain form', next: '/chatdemo' }), { cookie });
      expect(ok.status).toBe(302);
      expect(ok.headers.get('location')).toBe('/chatdemo');
      expect((await lobbyHistory(s.server)).at(-1).body).toBe('via the plain form');
      for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'chatdemo']) {
        const bad = await s.post('/a/message/new', withXsrf({ body: 'redirect me', next }), { cookie });
        expect(bad.status).toBe(400);
        expect((await bad.json()).error.code).toBe('VALIDATION_FAILED');
      }
      expect((await lobbyHistory(s.server)).at(-1).body).toBe('via the plain form');
    });

    it('answers bad input with clear errors', async () => {
      const cases: Array<[string, Record<string, string | string[]>, number, string]> = [
        ['/a/message/new', {}, 400, 'VALIDATION_FAILED'],
        ['/a/message/new', { body: '   ' }, 400, 'BODY_EMPTY'],
        ['/a/message/new', { body: 'x'.repeat(4001) }, 400, 'BODY_TOO_LONG'],
        ['/a/message/new', { body: ['a', 'b'] }, 400, 'VALIDATION_FAILED'],
        ['/a/message/updates', { cursor: '6f1c1f7e-9c1d-4d0a-9a53-3d2c1b0a9e8f' }, 400, 'INVALID_CURSOR'],
      ];
      for (const [path, fields, status, code] of cases) {
        const res = await s.post(path, withXsrf(fields), { cookie });
        expect([path, res.status]).toEqual([path, status]);
        expect((await res.json()).error.code).toBe(code);
      }
      const big = await s.post('/a/message/new', withXsrf({ body: 'x'.repeat(70_000) }), { cookie });
      expect(big.status).toBe(413);
      const astral = await s.post('/a/message/new', withXsrf({ body: '😀'.repeat(4000) }), { cookie });
      expect(astral.status).toBe(200); // 4000 characters, not UTF-16 units
    });

    it('ignores a hubbub session cookie sent along (no X-CSRF-Token needed, still the guest)', async () => {
      const reg = await s.server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { username: 'carol', password: 'hubbub-pass-4821' },
      });
      const session = reg.headers['set-cookie']!.toString().split(';')[0]!;
      const res = await s.post('/a/message/new', withXsrf({ body: 'with a session cookie' }), {
        cookie: `${cookie}; ${session}`,
        authorization: 'Bearer nonsense',
      });
      expect(res.status).toBe(200);
      expect((await res.json()).from).toBe('guest');
    });
  });

  describe('message wall: /chat + /updatemsg', () => {
    it('/chat posts to the lobby; v1 sees it; a first /updatemsg (cursor=) gets the recent history at once', async () => {
      const res = await s.post('/chat', { query: 'wall says hi' });
      expect(res.status).toBe(200);
      const posted = await res.json();
      expect(posted).toEqual({ code: 0, message: 'ok', id: expect.stringMatching(/^c[0-9a-z]+$/), text: 'wall says hi' });
      expect((await lobbyHistory(s.server)).at(-1)).toMatchObject({ body: 'wall says hi', senderName: 'guest' });
      for (const cursor of ['', 'null']) {
        const data = await (await s.post('/updatemsg', { cursor })).json();
        expect(data.code).toBe(0);
        expect(data.message).toBe('ok');
        expect(data.history.at(-1)).toEqual({ id: posted.id, text: 'wall says hi' });
        expect(Object.keys(data.history[0]).sort()).toEqual(['id', 'text']);
      }
    });

    it('/updatemsg with the last id waits for the next message, also one sent through v1', async () => {
      const posted = await (await s.post('/chat', { query: 'wall before' })).json();
      const pending = s.post('/updatemsg', { cursor: posted.id });
      await until(() => waiting(s.server) === 1, 'the wall poll to wait');
      const sent = await alice.say('v1 to the wall');
      const data = await (await pending).json();
      expect(data).toEqual({ code: 0, message: 'ok', history: [{ id: expect.any(String), text: sent.body }] });
      // And the seed's client loop: the next poll from that id sees the next /chat post.
      const next = s.post('/updatemsg', { cursor: data.history[0].id });
      await until(() => waiting(s.server) === 1, 'the wall poll to wait');
      await s.post('/chat', { query: 'wall after' });
      expect((await (await next).json()).history.map((m: any) => m.text)).toEqual(['wall after']);
    });

    it('answers bad input in the seed envelope with the catalog error', async () => {
      const empty = await s.post('/chat', { query: '' });
      expect(empty.status).toBe(400);
      expect(await empty.json()).toEqual({
        code: 400,
        message: expect.any(String),
        error: { code: 'BODY_EMPTY', message: expect.any(String) },
      });
      const missing = await s.post('/chat', {});
      expect((await missing.json()).error.code).toBe('BODY_EMPTY');
      const long = await s.post('/chat', { query: 'y'.repeat(4001) });
      expect((await long.json()).error.code).toBe('BODY_TOO_LONG');
      const cursor = await s.post('/updatemsg', { cursor: 'not a cursor' });
      expect(cursor.status).toBe(400);
      expect((await cursor.json()).error.code).toBe('INVALID_CURSOR');
      const json = await fetch(s.base + '/chat', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'query=x' });
      expect(json.status).toBe(415);
      expect((await json.json()).code).toBe(415);
    });
  });

  describe('long polls and departing clients', () => {
    it('a client that goes away frees its waiter at once', async () => {
      const posted = await (await s.post('/chat', { query: 'about to leave' })).json();
      // A bare socket (no pooling client that would reconnect behind our back).
      const req = http.request({
        host: '127.0.0.1',
        port: s.port,
        method: 'POST',
        path: '/updatemsg',
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const gone = new Promise<void>((resolve) => req.on('error', () => resolve()).on('close', () => resolve()));
      req.end(form({ cursor: posted.id }));
      await until(() => waiting(s.server) === 1, 'the wall poll to wait');
      req.destroy();
      await gone;
      await until(() => waiting(s.server) === 0, 'the waiter to be released');
    });
  });

  describe('/msg WebSocket broadcast', () => {
    const wsUrl = () => `ws://127.0.0.1:${s.port}/msg`;

    function open(headers: Record<string, string> = {}): Promise<{ ws: WebSocket; next(): Promise<string> }> {
      const ws = new WebSocket(wsUrl(), { headers });
      const queue: string[] = [];
      let wake: (() => void) | null = null;
      ws.on('message', (d) => {
        queue.push(d.toString());
        wake?.();
      });
      const next = async () => {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        return queue.shift()!;
      };
      return new Promise((resolve, reject) => {
        ws.once('open', () => resolve({ ws, next }));
        ws.once('error', reject);
      });
    }

    it('a text frame is posted to the lobby and broadcast to every socket, sender included', async () => {
      const a = await open();
      const b = await open();
      a.ws.send('hello, room');
      expect(await a.next()).toBe('hello, room');
      expect(await b.next()).toBe('hello, room');
      expect((await lobbyHistory(s.server)).at(-1)).toMatchObject({ body: 'hello, room', senderName: 'guest' });
      a.ws.close();
      b.ws.close();
    });

    it('messages from the v1 API and the other adapters reach every socket as their body', async () => {
      const a = await open();
      await alice.say('v1 says <hi>');
      expect(await a.next()).toBe('v1 says <hi>');
      await s.post('/chat', { query: 'the wall says hi' });
      expect(await a.next()).toBe('the wall says hi');
      a.ws.close();
    });

    it('refuses bad frames: an error frame to the sender only; binary frames close with 1003', async () => {
      const a = await open();
      const b = await open();
      a.ws.send('   ');
      expect(JSON.parse(await a.next())).toEqual({ error: { code: 'BODY_EMPTY', message: expect.any(String) } });
      a.ws.send('z'.repeat(4001));
      expect(JSON.parse(await a.next()).error.code).toBe('BODY_TOO_LONG');
      a.ws.send('a good one');
      expect(await a.next()).toBe('a good one');
      expect(await b.next()).toBe('a good one'); // b heard none of the refused frames
      const closed = new Promise<number>((r) => a.ws.once('close', (code) => r(code)));
      a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      expect(await closed).toBe(1003);
      b.ws.close();
    });

    it('answers a plain GET with 400 and a foreign Origin with 403', async () => {
      const plain = await fetch(s.base + '/msg');
      expect(plain.status).toBe(400);
      expect(plain.headers.getSetCookie().some((c) => c.startsWith('_xsrf='))).toBe(true); // any legacy GET issues one
      expect((await plain.json()).error.code).toBe('BAD_REQUEST');
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl(), { headers: { origin: 'https://evil.example' } });
        ws.on('unexpected-response', (req, res) => {
          resolve(res.statusCode ?? 0);
          req.destroy(); // with this listener, ending the request is the client's job
        });
        ws.on('open', () => resolve(101));
        ws.on('error', () => undefined);
      });
      expect(status).toBe(403);
      const same = await open({ origin: `http://127.0.0.1:${s.port}` });
      same.ws.close();
    });
  });
});

describe('compat adapters are bounded: waits, post rates', () => {
  let s: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    s = await start({ maxWaitSeconds: 1, rateLimits: { send: 3 } });
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('a chatdemo update answers {} after maxWaitSeconds; a wall poll is held on (its client cannot re-poll after an empty answer)', async () => {
    const page = await fetch(s.base + '/chatdemo');
    const token = /_xsrf=([0-9a-f]+)/.exec(page.headers.getSetCookie().join(';'))![1]!;
    const leave = new AbortController();
    const wall = s
      .post('/updatemsg', { cursor: '' }, {}, leave.signal)
      .then((r) => r.text())
      .catch(() => 'left');
    await until(() => waiting(s.server) === 1, 'the wall poll to wait');
    const demo = await s.post('/a/message/updates', { _xsrf: token }, { cookie: `_xsrf=${token}` });
    expect(await demo.json()).toEqual({});
    // The chatdemo's wait began after the wall's and has ended: the wall poll is still held.
    expect(waiting(s.server)).toBe(1);
    // (A message ends the hold: compat-hardening.test.ts. Here the client leaves, and its slot is freed.)
    leave.abort();
    expect(await wall).toBe('left');
    await until(() => waiting(s.server) === 0, 'the held poll to be released');
  });

  it('limits anonymous posts per IP over HTTP and per socket over /msg', async () => {
    for (let i = 0; i < 3; i++) expect((await s.post('/chat', { query: `rate ${i}` })).status).toBe(200);
    const over = await s.post('/chat', { query: 'one too many' });
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ code: 429, error: { code: 'RATE_LIMITED' } });
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/msg`);
    const frames: string[] = [];
    let wake: (() => void) | null = null;
    ws.on('message', (d) => {
      frames.push(d.toString());
      wake?.();
    });
    await new Promise((r) => ws.once('open', r));
    for (let i = 0; i < 4; i++) ws.send(`ws ${i}`);
    // Three stored (and broadcast back), the fourth refused; order of arrival may interleave.
    while (frames.length < 4) await new Promise<void>((r) => (wake = r));
    expect(frames.filter((f) => f.startsWith('ws ')).sort()).toEqual(['ws 0', 'ws 1', 'ws 2']);
    expect(JSON.parse(frames.find((f) => f.startsWith('{'))!).error.code).toBe('RATE_LIMITED');
    ws.close();
  });

  it('shutting down answers waiting polls', async () => {
    const other = await start({ maxWaitSeconds: 55 });
    const pending = other.post('/updatemsg', { cursor: '' });
    await until(() => waiting(other.server) === 1, 'the wall poll to wait');
    await other.server.close();
    expect((await (await pending).json()).code).toBe(1);
  });
});
