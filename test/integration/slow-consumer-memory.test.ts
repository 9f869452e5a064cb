import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COALESCE_BYTES } from '../../src/hub/session.js';
import type { Server } from '../../src/server.js';
import type { User } from '../../src/domain/types.js';
import { testServer, userApi, type Api } from '../helpers/server.js';
import { listen, waitFor } from './transports.helpers.js';

/**
 * 200 WebSocket readers of one room stop reading while messages flood in
 * (several per event-loop turn, so fan-out batches hold several events). Each
 * paused session may hold up to maxQueueBytes before it is closed as a slow
 * consumer, but they all queue the same frames, so what the server retains
 * for them is bounded by
 *
 *   maxQueueBytes                                  the distinct frames queued (shared)
 *   + N × (writeWindow + COALESCE_BYTES + frame)   each socket's writes in flight, its own
 *
 * and once they are closed nothing but those last writes stays, until each
 * reader reads up to its close frame (then 4001) or the close grace ends.
 * Measured deterministically: the hub's queuedBytes (each shared buffer once)
 * plus what the closing sockets still buffer; plus one sanity bound on the
 * live heap and Buffer memory.
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Live heap plus Buffer memory, after a full collection. */
function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const N = 200;
const MiB = 1024 * 1024;

describe('200 paused WebSocket readers', () => {
  let server: Server;
  let baseUrl: string;
  let sender: Api;
  let roomId: string;
  const tokens: string[] = [];

  beforeAll(async () => {
    server = await testServer({ logCapacity: 5000 });
    ({ baseUrl } = await listen(server));
    sender = await userApi(server, 'sender');
    roomId = (await sender.call('POST', '/api/v1/conversations', { kind: 'room', name: 'firehose' })).body.conversation.id;
    for (let i = 0; i < N; i++) {
      const u = await userApi(server, `napper${i}`);
      await u.call('POST', `/api/v1/conversations/${roomId}/join`);
      tokens.push(u.token);
    }
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it('retain at most the shared queue bound plus a write window each, release it on close, and all read 4001', async () => {
    const hub = server.hub;
    const { maxBytes, window } = hub.limits;
    const body = 'm'.repeat(1000);
    const frame = 1200; // a message.created frame with this body, generously
    const bound = maxBytes + N * (window + COALESCE_BYTES + frame);

    const clients = tokens.map((token) => {
      const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/api/v1/ws', { headers: { authorization: `Bearer ${token}` } });
      const c = { ws, frames: 0, code: null as number | null };
      ws.on('message', () => c.frames++);
      ws.on('close', (code) => (c.code = code));
      return c;
    });
    await waitFor(() => hub.stats().subscribers === N, 'every reader to attach', 20_000);
    await waitFor(() => clients.every((c) => c.frames >= 1), 'every hello');
    const sockets = (server.app as unknown as { websocketServer: { clients: Set<WebSocket> } }).websocketServer.clients;
    const raw = (ws: WebSocket) => (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    for (const c of clients) raw(c.ws).pause();

    /** What the server holds for these readers: queued and in-flight bytes (shared frames once), plus closing sockets' buffers. */
    const retained = () => {
      let closing = 0;
      for (const ws of sockets) if (ws.readyState === ws.CLOSING) closing += ws.bufferedAmount;
      return hub.stats().queuedBytes + closing;
    };

    const memBefore = liveBytes();
    const me = sender.user as User;
    let sent = 0;
    let peak = 0;
    let peakMem = memBefore;
    while (hub.stats().slowConsumerCloses < N && sent < 60_000) {
      // Eight sends per turn: the hub fans them out as one batch per session.
      await Promise.all(Array.from({ length: 8 }, () => server.chat.send(me, roomId, `${sent++} ${body}`, null)));
      peak = Math.max(peak, retained());
      if (sent % 2000 === 0) peakMem = Math.max(peakMem, liveBytes());
      await new Promise((r) => setImmediate(r));
    }
    expect(hub.stats().slowConsumerCloses).toBe(N);
    expect(hub.stats().peakSessionQueueBytes).toBeLessThanOrEqual(maxBytes);
    expect(hub.stats().peakSessionQueueBytes).toBeGreaterThan(maxBytes / 2); // each one really filled up
    expect(peak).toBeLessThanOrEqual(bound);

    // Closed sessions let go of their queues at once; only the writes already handed to the sockets remain.
    expect(hub.stats().queuedBytes).toBe(0);
    const atClose = retained();
    expect(atClose).toBeLessThanOrEqual(N * (window + COALESCE_BYTES + frame));
    // More messages change nothing: no session is left to hold them.
    for (let i = 0; i < 400; i++) await server.chat.send(me, roomId, `late ${i} ${body}`, null);
    await new Promise((r) => setImmediate(r));
    expect(retained()).toBeLessThanOrEqual(atClose);
    // Sanity on real memory: the live heap and Buffers grew by less than the bound plus the 5,000-entry log
    // (each entry keeps its JSON twice as strings and up to twice as Buffers: ~5 KiB here) and a margin.
    peakMem = Math.max(peakMem, liveBytes());
    expect(peakMem - memBefore).toBeLessThan(bound + 5000 * 5 * 1024 + 32 * MiB);

    // Every reader resumes within the close grace: what was on the wire, then 4001.
    for (const c of clients) raw(c.ws).resume();
    await waitFor(() => clients.every((c) => c.code !== null), 'every reader to see its close', 25_000);
    const codes = new Map<number, number>();
    for (const c of clients) codes.set(c.code!, (codes.get(c.code!) ?? 0) + 1);
    expect(Object.fromEntries(codes)).toEqual({ 4001: N });
    await waitFor(() => sockets.size === 0 && retained() === 0, 'the server to let go of every socket');
    console.log(
      `200 paused readers: sent ${sent}, peak retained ${(peak / MiB).toFixed(1)} MiB (bound ${(bound / MiB).toFixed(1)}),` +
        ` at close ${(atClose / MiB).toFixed(1)} MiB, live heap+buffers +${((peakMem - memBefore) / MiB).toFixed(1)} MiB`,
    );
  }, 90_000);
});
