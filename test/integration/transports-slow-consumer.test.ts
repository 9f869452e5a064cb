import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';
import type { User } from '../../src/domain/types.js';
import { listen, RawSse, RawWs, waitFor } from './transports.helpers.js';
import { SseParser, type SseRecord } from '../../client/sse-parser.js';

/**
 * A client that stops reading while ~50 MB of messages go out is closed with
 * 4001 once its bounded queue fills; the server's per-session queue never
 * exceeds its bound, a reading client on the same room is unaffected, and the
 * slow client resumes from its cursor and gets everything.
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Live heap plus Buffer memory (event frames are Buffers, outside the JS heap), after a full collection. */
function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('slow consumer', () => {
  let server: Server;
  let baseUrl: string;
  let sender: Api;
  let slowUser: Api;
  let fastUser: Api;
  let roomId: string;
  const BODY = 'x'.repeat(3990);
  const COUNT = 12_500; // × ~4.2 KB per frame ≈ 52 MB

  beforeAll(async () => {
    // A small in-memory log, so the resume is served from the store, as after a long absence.
    // A 1 MiB queue bound (operators set it: maxQueueBytes): the flood must reach the bound before two missed
    // heartbeats (25-50 s) drop the paused reader as dead, and a send now also writes its search index
    // (~2 ms a send here against ~0.6 before), so 4 MiB plus the kernel's buffers was no longer reached in time.
    server = await testServer({ logCapacity: 1000, maxQueueBytes: 1024 * 1024 });
    ({ baseUrl } = await listen(server));
    sender = await userApi(server, 'sender');
    slowUser = await userApi(server, 'slowpoke');
    fastUser = await userApi(server, 'speedy');
    const room = (await sender.call('POST', '/api/v1/conversations', { kind: 'room', name: 'firehose' })).body.conversation;
    roomId = room.id;
    await slowUser.call('POST', `/api/v1/conversations/${roomId}/join`);
    await fastUser.call('POST', `/api/v1/conversations/${roomId}/join`);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('closes a WebSocket that stops reading with 4001, stays bounded, and the client resumes losslessly', async () => {
    const hub = server.hub;
    const bound = hub.stats().maxQueueBytes;
    expect(bound).toBe(1024 * 1024);

    const slow = RawWs.bearer(baseUrl, slowUser.token);
    await slow.next((f) => f.type === 'hello', 'slow hello');
    // The reading client keeps only each message's number, so the test's own memory stays out of the measure.
    const fastSeen: number[] = [];
    let fastClosed: number | null = null;
    const fast = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/api/v1/ws', { headers: { authorization: `Bearer ${fastUser.token}` } });
    fast.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.type === 'message.created') fastSeen.push(Number(f.message.body.split(' ')[0]));
    });
    fast.on('close', (code) => {
      fastClosed = code;
    });
    await new Promise((r) => fast.once('open', r));
    await waitFor(() => hub.stats().sessions === 2, 'both sessions');
    const startCursor = slow.frames[0].cursor as string;
    // Stop reading: the kernel buffers fill, then the server's queue.
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    const memBefore = liveBytes();
    let peakQueued = 0;
    let peakMem = memBefore;
    const me = sender.user as User;
    let closedAt = -1;
    for (let i = 0; i < COUNT; i++) {
      await server.chat.send(me, roomId, `${i} ${BODY}`, null);
      if (i % 100 === 0) {
        const st = hub.stats();
        peakQueued = Math.max(peakQueued, st.queuedBytes);
        if (i % 1000 === 0) peakMem = Math.max(peakMem, liveBytes());
        if (closedAt < 0 && st.slowConsumerCloses > 0) {
          closedAt = i;
          // Read again: what was on the wire, then the close frame.
          (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
        }
        // Let sockets flush between bursts, as a real server between requests.
        await new Promise((r) => setImmediate(r));
      }
    }
    await waitFor(() => hub.stats().slowConsumerCloses === 1, 'the slow consumer to be closed');
    expect(closedAt).toBeGreaterThan(0);
    expect(closedAt).toBeLessThan(COUNT - 1); // it tripped well before the end of the flood

    const st = hub.stats();
    expect(st.peakSessionQueueBytes).toBeLessThanOrEqual(bound);
    expect(st.peakSessionQueueBytes).toBeGreaterThan(bound / 2); // the bound was approached, not avoided
    // Two sessions: the slow one at most `bound`, the fast one draining; nothing near 50 MB.
    expect(peakQueued).toBeLessThanOrEqual(2 * bound);
    // The in-memory log (1000 entries), the slow session's bound and socket buffers: well below the 50 MB sent.
    expect(peakMem - memBefore).toBeLessThan(32 * 1024 * 1024);

    // The reading client got everything and was never closed.
    await waitFor(() => fastSeen.length === COUNT, 'the fast client to get all messages', 30_000);
    expect(fastClosed).toBeNull();
    expect(fastSeen).toEqual([...Array(COUNT).keys()]);

    // The slow client read what was on the wire, then the close: 4001, reconnect and resume.
    const info = await slow.closed;
    expect(info.code).toBe(4001);
    const got = slow.events();
    expect(got.length).toBeLessThan(COUNT);
    const last = got.length > 0 ? got[got.length - 1].cursor : startCursor;

    const again = RawWs.bearer(baseUrl, slowUser.token, `?since=${last}`);
    await waitFor(() => got.length + again.events().length >= COUNT, 'the resumed client to catch up', 30_000);
    const all = [...got, ...again.events()].map((e) => Number(e.message.body.split(' ')[0]));
    expect(all).toEqual([...Array(COUNT).keys()]);
    expect(again.closeInfo).toBeNull();
    expect(hub.stats().slowConsumerCloses).toBe(1);
    again.ws.close();
    fast.close();
    await waitFor(() => hub.stats().sessions === 0 && hub.stats().queuedBytes === 0, 'sessions to end');
  }, 60_000);

  it('drops an SSE stream whose reader stalls, and it resumes from Last-Event-ID', async () => {
    const hub = server.hub;
    const before = hub.stats().slowConsumerCloses;
    const head = (await slowUser.call('GET', '/api/v1/sync')).body.cursor as string;
    // fetch keeps reading into its own buffers; a raw HTTP request that never reads stalls for real.
    const net = await import('node:net');
    const { port } = new URL(baseUrl);
    const sock = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`GET /api/v1/events?since=${head} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${slowUser.token}\r\n\r\n`);
    sock.pause();
    await waitFor(() => hub.stats().byKind.sse === 1, 'the stream to attach');
    const me = sender.user as User;
    const N = 4000;
    for (let i = 0; i < N && hub.stats().slowConsumerCloses === before; i++) {
      await server.chat.send(me, roomId, `sse ${i} ${BODY}`, null);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => hub.stats().slowConsumerCloses === before + 1, 'the stalled stream to be dropped');
    expect(hub.stats().peakSessionQueueBytes).toBeLessThanOrEqual(hub.stats().maxQueueBytes);
    await waitFor(() => (hub.stats().byKind.sse ?? 0) === 0, 'the stream to detach');
    sock.destroy();

    // A new stream from the head cursor gets every message sent since (Last-Event-ID wins over ?since).
    const resumed = RawSse.bearer(baseUrl, slowUser.token, '?since=c0', { 'last-event-id': head });
    const sent = (await slowUser.call('GET', `/api/v1/sync?since=${head}&limit=1000`)).body.events.length as number;
    await waitFor(() => resumed.events().length >= sent, 'the resumed stream to catch up', 20_000);
    expect(
      resumed
        .events()
        .slice(0, sent)
        .map((e) => e.cursor),
    ).toEqual((await slowUser.call('GET', `/api/v1/sync?since=${head}&limit=1000`)).body.events.map((e: any) => e.cursor));
    resumed.close();
  }, 60_000);
});

describe('slow consumer: the close code reaches a reader that paused for a while', () => {
  it('a WebSocket reader paused through a minute of heartbeats and 10.5 s more still reads 4001 when it resumes', async () => {
    // Only the heartbeat's interval is faked, so the test can let a minute of heartbeats pass at once;
    // sockets, timeouts and the close handshake run in real time.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let server: Server | undefined;
    try {
      server = await testServer({ logCapacity: 1000 });
      const { baseUrl } = await listen(server);
      const sender = await userApi(server, 'sender');
      const reader = await userApi(server, 'dozer');
      const roomId = (await sender.call('POST', '/api/v1/conversations', { kind: 'room', name: 'nap' })).body.conversation.id as string;
      await reader.call('POST', `/api/v1/conversations/${roomId}/join`);
      const hub = server.hub;
      const slow = RawWs.bearer(baseUrl, reader.token);
      await slow.next((f) => f.type === 'hello', 'hello');
      await waitFor(() => hub.stats().subscribers === 1, 'the session to attach');
      const raw = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      raw.pause();

      const me = sender.user as User;
      const body = 'z'.repeat(3990);
      let sent = 0;
      while (hub.stats().slowConsumerCloses === 0 && sent < 20_000) {
        await server.chat.send(me, roomId, `${sent++} ${body}`, null);
        if (sent % 100 === 0) await new Promise((r) => setImmediate(r));
      }
      expect(hub.stats().slowConsumerCloses).toBe(1);
      // What stands in front of the close frame in the server's memory: the session's writes in flight, at most a window and one write.
      const [serverSide] = [...(server.app as unknown as { websocketServer: { clients: Set<WebSocket> } }).websocketServer.clients];
      expect(serverSide!.bufferedAmount).toBeLessThanOrEqual(hub.limits.window + 64 * 1024 + 8 * 1024);

      // The reader stays paused: a minute of heartbeats (it cannot answer a ping it has not read)…
      await vi.advanceTimersByTimeAsync(60_000);
      // …and real time past the 10 s the server used to wait before dropping the socket.
      await new Promise((r) => setTimeout(r, 10_500));
      raw.resume();
      const info = await slow.closed;
      expect(info.code).toBe(4001);
      expect(info.reason).toBe('SLOW_CONSUMER');
      // What it read before the close is a gap-free prefix of what was sent.
      const got = slow.events().map((e) => Number(e.message.body.split(' ')[0]));
      expect(got).toEqual([...Array(got.length).keys()]);
      expect(got.length).toBeLessThan(sent);
    } finally {
      await server?.close();
      vi.useRealTimers();
    }
  }, 40_000);
});

/** The body of a chunked HTTP/1.1 response, as far as it is complete; `ended` once the last chunk came. */
function dechunk(raw: Buffer): { body: Buffer; ended: boolean } {
  const start = raw.indexOf('\r\n\r\n');
  if (start < 0) return { body: Buffer.alloc(0), ended: false };
  const parts: Buffer[] = [];
  let at = start + 4;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(raw.subarray(at, eol).toString('latin1'), 16);
    if (size === 0) return { body: Buffer.concat(parts), ended: true };
    if (eol + 2 + size + 2 > raw.length) break;
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return { body: Buffer.concat(parts), ended: false };
}

describe('slow consumer: an SSE reader that paused reads complete records, then an error event', () => {
  it('ends the stream with `event: error` naming SLOW_CONSUMER after whole records only, kept for the close grace', async () => {
    let server: Server | undefined;
    const net = await import('node:net');
    try {
      server = await testServer({ logCapacity: 1000 });
      const { baseUrl } = await listen(server);
      const sender = await userApi(server, 'sender');
      const reader = await userApi(server, 'napper');
      const roomId = (await sender.call('POST', '/api/v1/conversations', { kind: 'room', name: 'nap-sse' })).body.conversation.id as string;
      await reader.call('POST', `/api/v1/conversations/${roomId}/join`);
      const hub = server.hub;
      const sock = net.connect(Number(new URL(baseUrl).port), '127.0.0.1');
      await new Promise<void>((r) => sock.once('connect', () => r()));
      const chunks: Buffer[] = [];
      sock.on('data', (c: Buffer) => chunks.push(c));
      sock.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${reader.token}\r\n\r\n`);
      await waitFor(() => hub.stats().byKind.sse === 1, 'the stream to attach');
      sock.pause();

      const me = sender.user as User;
      const body = 'y'.repeat(3990);
      let sent = 0;
      while (hub.stats().slowConsumerCloses === 0 && sent < 20_000) {
        await server.chat.send(me, roomId, `${sent++} ${body}`, null);
        if (sent % 100 === 0) await new Promise((r) => setImmediate(r));
      }
      expect(hub.stats().slowConsumerCloses).toBe(1);
      // Well within the close grace, the reader comes back and reads to the end of the response.
      sock.resume();
      await waitFor(() => dechunk(Buffer.concat(chunks)).ended || sock.destroyed, 'the response to end', 20_000);
      const { body: stream, ended } = dechunk(Buffer.concat(chunks));
      expect(ended).toBe(true);
      const records: SseRecord[] = [];
      const parser = new SseParser((r) => records.push(r));
      parser.feed(stream.toString('utf8'));
      // The stream ends exactly after the last record: nothing cut off mid-record.
      expect(stream.toString('utf8').endsWith('\n\n')).toBe(true);
      const last = records[records.length - 1]!;
      expect(last.event).toBe('error');
      expect(JSON.parse(last.data).error.code).toBe('SLOW_CONSUMER');
      // Before it: the hello, then a gap-free prefix of what was sent, each record whole.
      const events = records.filter((r) => r.event === 'message').map((r) => JSON.parse(r.data));
      const got = events.filter((e) => e.type === 'message.created').map((e) => Number(e.message.body.split(' ')[0]));
      expect(got).toEqual([...Array(got.length).keys()]);
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(sent);
      sock.destroy();
    } finally {
      await server?.close();
    }
  }, 60_000);
});
