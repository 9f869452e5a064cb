import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchError, guardedGet, readBounded, USER_AGENT } from '../../src/services/guarded-fetch.js';
import { BlockedError, type Lookup, NetGuard, publicWebOnly, refusedRange } from '../../src/services/net-guard.js';
import { headEnded } from '../../src/services/opengraph.js';
import { waitFor } from '../helpers/cluster.js';

/** A lookup that answers from a table and records every name asked. */
function fakeLookup(table: Record<string, string[]>): Lookup & { asked: string[] } {
  const asked: string[] = [];
  const fn = async (host: string) => {
    asked.push(host);
    const addrs = table[host];
    if (!addrs) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(fn, { asked });
}

describe('refusedRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['2001::1', 'teredo'],
    ['2001:db8::1', 'reserved'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each(['8.8.8.8', '93.184.216.34', '2606:4700::1111', '::ffff:8.8.8.8'])('allows public %s', (address) => {
    expect(refusedRange(address)).toBeNull();
  });

  it('refuses what is not an address', () => {
    expect(refusedRange('example.com')).toBe('not an address');
  });
});

describe('publicWebOnly', () => {
  it('allows public addresses on ports 80 and 443 only', () => {
    expect(publicWebOnly('8.8.8.8', 80)).toBeNull();
    expect(publicWebOnly('8.8.8.8', 443)).toBeNull();
    expect(publicWebOnly('8.8.8.8', 8080)).toMatch(/port 8080/);
    expect(publicWebOnly('8.8.8.8', 22)).toMatch(/port 22/);
  });
});

describe('NetGuard.resolve without allowPrivate', () => {
  const lookup = fakeLookup({
    'public.example': ['93.184.216.34', '2606:2800:220:1::1'],
    'loopback.example': ['127.0.0.1'],
    localhost: ['127.0.0.1', '::1'],
    'split.example': ['93.184.216.34', '10.0.0.7'],
    'mapped.example': ['::ffff:127.0.0.1'],
  });
  const guard = new NetGuard({ allowPrivate: false, lookup });

  it.each([
    'http://127.0.0.1/',
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[fe80::1]/',
    'http://2130706433/', // 127.0.0.1 as one number: the URL parser makes it 127.0.0.1
    'http://0x7f.1/',
    'http://0/',
  ])('refuses the address literal %s without a lookup', async (url) => {
    const before = lookup.asked.length;
    await expect(guard.resolve(url)).rejects.toBeInstanceOf(BlockedError);
    expect(lookup.asked.length).toBe(before);
  });

  it('refuses a name that resolves to loopback', async () => {
    await expect(guard.resolve('http://loopback.example/')).rejects.toThrow(/loopback/);
    await expect(guard.resolve('https://localhost/')).rejects.toThrow(/loopback/);
    await expect(guard.resolve('http://mapped.example/')).rejects.toThrow(/loopback/);
  });

  it('refuses a name when any of its addresses is private', async () => {
    await expect(guard.resolve('http://split.example/')).rejects.toThrow(/10\.0\.0\.7 is private/);
  });

  it('pins a public name to its first checked address, with the name for TLS', async () => {
    const t = await guard.resolve('https://public.example/a?b=c');
    expect(t).toMatchObject({ address: '93.184.216.34', family: 4, port: 443, servername: 'public.example' });
    expect(t.url.href).toBe('https://public.example/a?b=c');
    const literal = await guard.resolve('http://93.184.216.34/');
    expect(literal).toMatchObject({ address: '93.184.216.34', port: 80, servername: null });
  });

  it('refuses ports other than 80 and 443', async () => {
    await expect(guard.resolve('http://public.example:8080/')).rejects.toThrow(/port 8080/);
    await expect(guard.resolve('https://public.example:22/')).rejects.toThrow(/port 22/);
    await expect(guard.resolve('http://public.example:443/')).resolves.toMatchObject({ port: 443 });
  });

  it.each([
    'ftp://public.example/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,hi',
    'gopher://public.example/',
    'not a url',
  ])('refuses %s', async (url) => {
    await expect(guard.resolve(url)).rejects.toBeInstanceOf(BlockedError);
  });

  it('refuses credentials in the URL', async () => {
    await expect(guard.resolve('http://user:pw@public.example/')).rejects.toThrow(/credentials/);
  });

  it('passes a lookup failure on as it is', async () => {
    await expect(guard.resolve('http://nowhere.example/')).rejects.toThrow(/ENOTFOUND/);
  });
});

describe('NetGuard.resolve with allowPrivate', () => {
  it('allows loopback on any port', async () => {
    const guard = new NetGuard({ allowPrivate: true, lookup: fakeLookup({ localhost: ['127.0.0.1'] }) });
    await expect(guard.resolve('http://127.0.0.1:8080/')).resolves.toMatchObject({ address: '127.0.0.1', port: 8080 });
    await expect(guard.resolve('http://localhost:3000/')).resolves.toMatchObject({ address: '127.0.0.1', servername: 'localhost' });
    // The form rules hold whatever the addresses.
    await expect(guard.resolve('file:///etc/passwd')).rejects.toBeInstanceOf(BlockedError);
  });
});

// ── fetching through the guard, against servers on loopback ─────────────────

interface TestSite {
  base: string;
  port: number;
  hits: http.IncomingMessage[];
  close(): Promise<void>;
}

const open: TestSite[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function site(handler: http.RequestListener, host = '127.0.0.1'): Promise<TestSite> {
  const hits: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as AddressInfo;
  const s: TestSite = {
    base: `http://${host}:${port}`,
    port,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
  open.push(s);
  return s;
}

/** Pretends 127.0.0.1 is the public internet: every other address is judged by the real rule (any port). */
const only127001 = (address: string) => (address === '127.0.0.1' ? null : `${address} is ${refusedRange(address) ?? 'not the test site'}`);

const get = (url: string, guard: NetGuard, signal = AbortSignal.timeout(10_000)) =>
  guardedGet(url, { guard, signal, accept: 'text/html', maxRedirects: 3 });

describe('guardedGet', () => {
  it('sends the hubbub user agent and reads type and charset', async () => {
    const s = await site((_req, res) => res.writeHead(200, { 'content-type': 'Text/HTML; charset="GBK"' }).end('<title>x</title>'));
    const r = await get(`${s.base}/page?q=1`, new NetGuard({ allowPrivate: true }));
    expect(r).toMatchObject({ status: 200, type: 'text/html', charset: 'GBK' });
    expect((await readBounded(r.body, 1000)).bytes.toString()).toBe('<title>x</title>');
    expect(s.hits[0].headers['user-agent']).toBe(USER_AGENT);
    expect(s.hits[0].url).toBe('/page?q=1');
  });

  it('re-checks every redirect: a hop to a private address is refused before connecting', async () => {
    const inside = await site((_req, res) => res.end('secret'), '127.0.0.2');
    const front = await site((_req, res) => res.writeHead(302, { location: `${inside.base}/admin` }).end());
    const guard = new NetGuard({ allowPrivate: false, policy: only127001 });
    await expect(get(`${front.base}/`, guard)).rejects.toThrow(/127\.0\.0\.2 is loopback/);
    expect(front.hits).toHaveLength(1);
    expect(inside.hits).toHaveLength(0);
    // The same redirect, when the rule allows the second address, is followed: the refusal above was the guard's.
    const lenient = new NetGuard({ allowPrivate: false, policy: () => null });
    const r = await get(`${front.base}/`, lenient);
    expect((await readBounded(r.body, 100)).bytes.toString()).toBe('secret');
    expect(r.url.href).toBe(`${inside.base}/admin`);
  });

  it('re-checks a redirect to a name, by its addresses', async () => {
    const lookup = fakeLookup({ 'intranet.example': ['10.1.1.1'] });
    const front = await site((_req, res) => res.writeHead(301, { location: 'http://intranet.example/' }).end());
    const guard = new NetGuard({ allowPrivate: false, lookup, policy: only127001 });
    await expect(get(`${front.base}/`, guard)).rejects.toThrow(/intranet\.example: 10\.1\.1\.1 is private/);
    expect(lookup.asked).toEqual(['intranet.example']);
  });

  it('follows at most 3 redirects', async () => {
    const s = await site((req, res) => {
      const n = Number(req.url!.slice(1));
      if (n > 0) res.writeHead(307, { location: `/${n - 1}` }).end();
      else res.end('arrived');
    });
    const guard = new NetGuard({ allowPrivate: true });
    const r = await get(`${s.base}/3`, guard);
    expect((await readBounded(r.body, 100)).bytes.toString()).toBe('arrived');
    await expect(get(`${s.base}/4`, guard)).rejects.toBeInstanceOf(FetchError);
  });

  it('connects to the address it checked: a second DNS answer cannot move the connection', async () => {
    const s = await site((req, res) => res.end(`host ${req.headers.host}`));
    let answers = 0;
    const rebinding: Lookup = async () => (answers++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.1', family: 4 }]);
    const guard = new NetGuard({ allowPrivate: false, lookup: rebinding, policy: only127001 });
    const r = await get(`http://rebind.example:${s.port}/`, guard);
    expect((await readBounded(r.body, 100)).bytes.toString()).toBe(`host rebind.example:${s.port}`);
    expect(answers).toBe(1);
  });

  it('gives up when the signal aborts, closing the connection', async () => {
    const s = await site(() => undefined); // never answers
    const controller = new AbortController();
    const pending = get(`${s.base}/`, new NetGuard({ allowPrivate: true }), controller.signal);
    await waitFor(() => s.hits.length === 1, 'the request to arrive');
    const closed = new Promise((r) => s.hits[0].socket.once('close', r));
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    await closed;
  });

  it('undoes gzip', async () => {
    const s = await site((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(zlib.gzipSync('<title>zipped</title>')));
    const r = await get(`${s.base}/`, new NetGuard({ allowPrivate: true }));
    expect((await readBounded(r.body, 100)).bytes.toString()).toBe('<title>zipped</title>');
  });
});

describe('readBounded', () => {
  it('stops at the bound and closes the body', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let produced = 0;
    const body = new Readable({
      read() {
        produced++;
        this.push(chunk);
      },
    });
    const r = await readBounded(body, 100_000);
    expect(r.truncated).toBe(true);
    expect(r.bytes.length).toBe(100_000);
    expect(body.destroyed).toBe(true);
    expect(produced).toBeLessThan(10);
  });

  it('stops early at a marker split across chunks', async () => {
    const body = Readable.from([Buffer.from('<head><title>t</title></he'), Buffer.from('ad><body>'), Buffer.from('x'.repeat(1000))]);
    const r = await readBounded(body, 100_000, headEnded);
    expect(r.truncated).toBe(false);
    expect(r.bytes.toString()).toBe('<head><title>t</title></head><body>');
    expect(body.destroyed).toBe(true);
  });

  it('reads a short body whole', async () => {
    const r = await readBounded(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 100);
    expect(r).toEqual({ bytes: Buffer.from('abcdef'), truncated: false });
  });
});
