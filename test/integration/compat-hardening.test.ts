import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testServer } from '../helpers/server.js';

/**
 * The legacy adapters against the attacks of issue 11 (items 9 and 10):
 * invalid percent-encoding, cross-site posts, a few IPs taking every legacy
 * long-poll slot, and JSON answered as text/html for seed 000's client.
 */
type TestServer = Awaited<ReturnType<typeof testServer>>;

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const waiting = (s: TestServer) => s.hub.stats().byKind['compat-longpoll'] ?? 0;

async function start(config: Parameters<typeof testServer>[0] = {}) {
  const server = await testServer(config);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.app.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  /** A raw body, sent byte for byte (URLSearchParams would re-encode it). */
  const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
    fetch(base + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
  const lobby = async (): Promise<string[]> => {
    const r = await server.app.inject({ method: 'GET', url: '/api/v1/rooms/lobby/messages?limit=100' });
    return r.json().messages.map((m: { body: string }) => m.body);
  };
  const xsrf = async () => {
    const page = await fetch(base + '/chatdemo');
    const token = /_xsrf=([0-9a-f]{32})/.exec(page.headers.getSetCookie().join(';'))![1]!;
    return { token, cookie: `_xsrf=${token}` };
  };
  return { server, base, port, post, lobby, xsrf };
}

describe('legacy form fields must be valid percent-encoded UTF-8 (Tornado answers 400)', () => {
  let s: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(async () => {
    await s.server.close();
  });

  const bad = ['%FF%FEabc', 'ok%20%ZZ', '%E0%A4%A', 'trailing%', 'half%4', '%C0%AF', '%ED%A0%80'];

  it('/chat refuses each with 400 in the seed envelope and stores nothing', async () => {
    const before = await s.lobby();
    for (const v of bad) {
      const res = await s.post('/chat', `query=${v}`);
      expect([v, res.status]).toEqual([v, 400]);
      const data = JSON.parse(await res.text());
      expect(data).toMatchObject({ code: 400, error: { code: 'BAD_REQUEST' } });
    }
    expect(await s.lobby()).toEqual(before);
  });

  it('/a/message/new refuses each with 400 (a valid _xsrf does not help) and stores nothing', async () => {
    const { token, cookie } = await s.xsrf();
    const before = await s.lobby();
    for (const v of bad) {
      const res = await s.post('/a/message/new', `body=${v}&_xsrf=${token}`, { cookie });
      expect([v, res.status]).toEqual([v, 400]);
      expect((await res.json()).error.code).toBe('BAD_REQUEST');
    }
    expect(await s.lobby()).toEqual(before);
  });

  it('refuses raw bytes that are not UTF-8, a bad field name, and a bad query string too', async () => {
    const before = await s.lobby();
    const raw = await s.post('/chat', Buffer.concat([Buffer.from('query='), Buffer.from([0xff, 0xfe, 0x61])]));
    expect(raw.status).toBe(400);
    expect((await s.post('/chat', 'q%FFuery=x&query=y')).status).toBe(400);
    expect((await s.post('/chat?query=%FF%FE', '')).status).toBe(400);
    expect((await s.post('/updatemsg', 'cursor=%ZZ')).status).toBe(400);
    expect((await fetch(s.base + '/chatdemo?x=%E0%A4%A')).status).toBe(400);
    expect(await s.lobby()).toEqual(before);
  });

  it('still decodes what browsers send: %XX UTF-8, "+" as space, raw UTF-8', async () => {
    const res = await s.post('/chat', 'query=%E4%BD%A0%E5%A5%BD+world%21');
    expect(res.status).toBe(200);
    expect(JSON.parse(await res.text()).text).toBe('你好 world!');
    expect((await s.post('/chat', Buffer.from('query=raw ünïcödé', 'utf8'))).status).toBe(200);
    expect((await s.lobby()).slice(-2)).toEqual(['你好 world!', 'raw ünïcödé']);
  });
});

describe('legacy writes refuse cross-site posts', () => {
  let s: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    s = await start({ allowedOrigins: ['https://chat.example'] });
  });
  afterAll(async () => {
    await s.server.close();
  });

  const crossSite: Array<[string, Record<string, string>]> = [
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['the same host on another port', { origin: 'http://127.0.0.1:1' }],
    ['an opaque Origin (null)', { origin: 'null' }],
    ['a foreign Referer and no Origin', { referer: 'https://evil.example/page.html' }],
    ['an unparsable Referer', { referer: 'not a url' }],
  ];

  for (const [what, headers] of crossSite) {
    it(`/chat, /updatemsg and /a/message/new with ${what}: 403, nothing stored`, async () => {
      const { token, cookie } = await s.xsrf();
      const before = await s.lobby();
      const chat = await s.post('/chat', 'query=csrf', headers);
      expect(chat.status).toBe(403);
      expect(JSON.parse(await chat.text())).toMatchObject({ code: 403, error: { code: 'CSRF_FAILED' } });
      expect((await s.post('/updatemsg', 'cursor=', headers)).status).toBe(403);
      // Even with the right token (a cross-site page cannot read it, but a leaked one must not be enough).
      const demo = await s.post('/a/message/new', `body=csrf&_xsrf=${token}`, { ...headers, cookie });
      expect(demo.status).toBe(403);
      expect(await s.lobby()).toEqual(before);
    });
  }

  it('same-origin pages, allowedOrigins and non-browser clients (no Origin, no Referer) post as before', async () => {
    const same = { origin: s.base, referer: `${s.base}/wall.html` };
    expect((await s.post('/chat', 'query=same+origin', same)).status).toBe(200);
    expect((await s.post('/chat', 'query=same+site+referer', { referer: `${s.base}/wall.html` })).status).toBe(200);
    expect((await s.post('/chat', 'query=allowed', { origin: 'https://chat.example' })).status).toBe(200);
    expect((await s.post('/chat', 'query=curl')).status).toBe(200);
    const { token, cookie } = await s.xsrf();
    expect((await s.post('/a/message/new', `body=demo+same+origin&_xsrf=${token}`, { ...same, cookie })).status).toBe(200);
    expect((await s.lobby()).slice(-5)).toEqual(['same origin', 'same site referer', 'allowed', 'curl', 'demo same origin']);
  });

  it('/msg refuses a cross-site WebSocket (403) and stores nothing', async () => {
    const before = await s.lobby();
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${s.port}/msg`, { headers: { origin: 'https://evil.example' } });
      ws.on('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      ws.on('open', () => {
        ws.send('csrf over ws');
        resolve(101);
      });
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
    expect(await s.lobby()).toEqual(before);
  });
});

describe('legacy long polls are capped per IP (legacyLongPollsPerIp)', () => {
  let s: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    s = await start({ trustProxy: true, legacyLongPollsPerIp: 3 });
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('one IP gets its share and a 429 beyond it; another IP still gets a slot', async () => {
    const { token, cookie } = await s.xsrf();
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const held = [0, 1, 2].map(() => s.post('/updatemsg', 'cursor=', from('198.51.100.7')));
    await until(() => waiting(s.server) === 3, 'three polls to wait');
    // The fourth from that IP: refused at once (it must not wait for a slot).
    const fourth = s.post('/updatemsg', 'cursor=', from('198.51.100.7'));
    const outcome = await Promise.race([
      fourth.then((r) => r.status),
      until(() => waiting(s.server) === 4, 'a fourth waiter').then(() => 'waiting'),
    ]);
    expect(outcome).toBe(429);
    const refused = JSON.parse(await (await fourth).text());
    expect(refused).toMatchObject({ code: 429, error: { code: 'RATE_LIMITED' } });
    // The chatdemo's polls count against the same share.
    const demo = await s.post('/a/message/updates', `_xsrf=${token}`, { ...from('198.51.100.7'), cookie });
    expect(demo.status).toBe(429);
    // Another address is not affected.
    const other = s.post('/updatemsg', 'cursor=', from('203.0.113.9'));
    await until(() => waiting(s.server) === 4, 'the other IP to wait');
    // One message answers every held poll, which frees the slots.
    expect((await s.post('/chat', 'query=wake+up')).status).toBe(200);
    for (const r of [...held, other])
      expect(JSON.parse(await (await r).text()).history.map((m: { text: string }) => m.text)).toEqual(['wake up']);
    await until(() => waiting(s.server) === 0, 'the slots to be free');
  });
});

describe('seed 000 wall: answered the way its Tornado server answered', () => {
  let s: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    s = await start({ maxWaitSeconds: 1 });
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('/chat and /updatemsg answer text/html; charset=UTF-8 with no HTML in it, nosniff and a CSP that allows nothing', async () => {
    const nasty = `<script>alert("x")</script> & </b> \u2028`;
    const chat = await s.post('/chat', `query=${encodeURIComponent(nasty)}`);
    const poll = await s.post('/updatemsg', 'cursor=');
    for (const res of [chat, poll]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const text = await res.text();
      expect(text).not.toMatch(/[<>&\u2028\u2029]/);
      const data = JSON.parse(text);
      expect(data.code).toBe(0);
      expect(data.text ?? data.history.at(-1).text).toBe(nasty.trim());
    }
    const bad = await s.post('/chat', 'query=');
    expect(bad.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(JSON.parse(await bad.text()).code).toBe(400);
  });

  it('an idle poll is held past maxWaitSeconds (whitespace keeps the connection alive), then answers code 0 with the message', async () => {
    const posted = JSON.parse(await (await s.post('/chat', 'query=before+the+quiet')).text());
    const chunks: string[] = [];
    let status = 0;
    let ended = false;
    const req = http.request(
      {
        host: '127.0.0.1',
        port: s.port,
        method: 'POST',
        path: '/updatemsg',
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (c: string) => chunks.push(c));
        res.on('end', () => (ended = true));
      },
    );
    req.end(`cursor=${posted.id}`);
    // Three rounds of maxWaitSeconds (1 s here) with nothing: the seed's original server kept waiting; so do we.
    await until(() => chunks.join('').length >= 3, 'three keep-alive beats', 10_000);
    expect(ended).toBe(false);
    expect(status).toBe(200);
    expect(chunks.join('')).toMatch(/^\s+$/);
    expect(waiting(s.server)).toBe(1);
    await s.post('/chat', 'query=after+the+quiet');
    await until(() => ended, 'the held poll to answer');
    const data = JSON.parse(chunks.join(''));
    expect(data).toEqual({ code: 0, message: 'ok', history: [{ id: expect.stringMatching(/^c[0-9a-z]+$/), text: 'after the quiet' }] });
    expect(waiting(s.server)).toBe(0);
  });

  it('a held poll whose client leaves frees its slot', async () => {
    const head = JSON.parse(await (await s.post('/chat', 'query=leave+test')).text()).id as string;
    let got = 0;
    const req = http.request(
      {
        host: '127.0.0.1',
        port: s.port,
        method: 'POST',
        path: '/updatemsg',
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        res.on('data', (c: Buffer) => (got += c.length));
      },
    );
    req.on('error', () => undefined);
    req.end(`cursor=${head}`);
    await until(() => got >= 1, 'a keep-alive beat', 10_000);
    req.destroy();
    await until(() => waiting(s.server) === 0, 'the waiter to be released');
  });
});
