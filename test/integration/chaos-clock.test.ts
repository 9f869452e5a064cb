import { afterEach, describe, expect, it } from 'vitest';
import { HubbubClient, type Message, type TransportName } from '../../client/index.js';
import { sleep } from '../../client/backoff.js';
import type { Server } from '../../src/server.js';
import { laneOrder, Refusals, storedMessages, waitMonotonic } from '../helpers/chaos.js';
import { testServer, userApi } from '../helpers/server.js';
import { realNow, WallClock } from '../helpers/wall-clock.js';
import { listen } from './transports.helpers.js';

/**
 * The wall clock jumps back an hour mid-run, and later forward again (issue
 * 11, item 7), while SDK clients exchange messages with an in-process server.
 * Only `Date` moves; timers, performance.now and sockets stay real. Before:
 * the window limiter ran on Date.now, so after the step back every sender was
 * RATE_LIMITED for the length of the jump. Now every limiter and cache age
 * runs on monotonic time: senders under their limit keep sending, and every
 * acknowledged message reaches each receiver once, in order.
 */
const HOUR = 3_600_000;
/** Per user per 10 s (and per IP, for both senders together: SEND_PER_IP). */
const SEND_LIMIT = 40;
const SEND_PER_IP = 100;
/** Between one ack and the next send: at most ⌈10 000 / 300⌉ = 34 sends in any 10 s window, under SEND_LIMIT. */
const PACE_MS = 300;
/**
 * Sends per sender before the step back, while the clock is an hour behind,
 * and after the step forward. More than SEND_LIMIT while it is behind, so the
 * run crosses a real 10 s window: a wall-clock window would never close.
 */
const BEFORE = 3;
const BEHIND = SEND_LIMIT + 2;
const AFTER = 3;
const PER_SENDER = BEFORE + BEHIND + AFTER;
const RECEIVERS: TransportName[] = ['ws', 'sse', 'longpoll'];
/** One sender on a WebSocket (sends as frames), one with HTTP only (sends as POSTs). */
const SENDERS: TransportName[] = ['ws', 'longpoll'];

describe('chaos: the wall clock jumps', () => {
  let server: Server | null = null;
  const clients: HubbubClient[] = [];
  const clock = new WallClock();

  afterEach(async () => {
    clock.restore();
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = null;
  });

  it('back an hour and forward again: no RATE_LIMITED, no 401, every acknowledged message received once, in order', async () => {
    server = await testServer({ rateLimits: { send: SEND_LIMIT, sendPerIp: SEND_PER_IP, login: 5, loginPerIp: 10 } });
    const { baseUrl } = await listen(server);
    const receiver = await userApi(server, 'receiver');
    const senderApis = await Promise.all(SENDERS.map((_, i) => userApi(server!, `sender${i}`)));
    const room = (await receiver.call('POST', '/api/v1/conversations', { kind: 'room', name: 'clock' })).body.conversation.id as string;
    for (const s of senderApis) expect((await s.call('POST', `/api/v1/conversations/${room}/join`)).status).toBe(200);

    const refusals = new Refusals();
    const opts = {
      baseUrl,
      WebSocket: refusals.webSocket(),
      fetch: refusals.fetch(),
      backoff: { baseMs: 20, maxMs: 250 },
      longPollWait: 2,
    };
    const got = new Map<TransportName, Message[]>();
    const errors: unknown[] = [];
    for (const t of RECEIVERS) {
      const c = new HubbubClient({ ...opts, token: receiver.token, transports: [t] });
      clients.push(c);
      const mine: Message[] = [];
      got.set(t, mine);
      c.on('message', (m) => mine.push(m));
      c.on('error', (e) => errors.push(e));
      await c.connect();
    }
    const senders = await Promise.all(
      SENDERS.map(async (t, i) => {
        const c = new HubbubClient({ ...opts, token: senderApis[i]!.token, transports: [t] });
        clients.push(c);
        c.on('error', (e) => errors.push(e));
        await c.connect();
        return c;
      }),
    );
    /** A new token for a sender: login throttling must not trip on the jump either. */
    const login = async (i: number) =>
      (
        await fetch(`${baseUrl}/api/v1/tokens`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `sender${i}`, password: 'hubbub-pass-4821' }),
        })
      ).status;

    const sent = SENDERS.map(() => 0);
    const acked: Message[] = [];
    const sending = Promise.all(
      senders.map(async (c, i) => {
        for (let k = 0; k < PER_SENDER; k++) {
          acked.push(await c.send(room, `${i}:${k}`));
          sent[i]!++;
          await sleep(PACE_MS); // the load's shape (a sender under its limit), not a wait for anything
        }
      }),
    );

    await waitMonotonic(() => sent.every((n) => n >= BEFORE), `${BEFORE} sends each before the jump`, 10_000);
    expect(await login(0)).toBe(201);
    clock.jump(-HOUR);
    const behindFrom = sent.slice();
    // Only Date moved: the monotonic clock and real timers did not.
    expect(Math.abs(Date.now() - (realNow() - HOUR))).toBeLessThan(1000);
    const t0 = performance.now();
    await sleep(50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(performance.now() - t0).toBeLessThan(1000);

    await waitMonotonic(
      () => {
        // A refusal is retried by the SDK for as long as the jump lasts: fail on the first instead.
        if (refusals.total > 0)
          throw new Error(`sends refused while the clock is behind: ${JSON.stringify(refusals)} (sent ${sent} of ${PER_SENDER} each)`);
        return sent.every((n, i) => n >= behindFrom[i]! + BEHIND);
      },
      () => `${BEHIND} sends each while the clock is an hour behind (sent ${sent})`,
      25_000,
    );
    expect(await login(1)).toBe(201);
    // The server stamped messages with the moved clock: the jump reached it.
    const behind = acked[acked.length - 1]!;
    expect(Math.abs(Date.parse(behind.createdAt) - (realNow() - HOUR))).toBeLessThan(5000);
    clock.jump(0);
    expect(Math.abs(Date.now() - realNow())).toBeLessThan(1000);

    await sending;
    expect(await login(0)).toBe(201);
    const total = SENDERS.length * PER_SENDER;
    await waitMonotonic(
      () => RECEIVERS.every((t) => got.get(t)!.length >= total),
      () => `${total} messages on every receiver (${RECEIVERS.map((t) => `${t}: ${got.get(t)!.length}`).join(', ')})`,
      10_000,
    );

    console.log(
      'chaos-clock figures',
      JSON.stringify({
        sent: total,
        acked: acked.length,
        received: Object.fromEntries(RECEIVERS.map((t) => [t, got.get(t)!.length])),
        refusals: refusals.toJSON(),
      }),
    );
    // No send was refused (the SDK would have retried a RATE_LIMITED: count what the server answered).
    expect(refusals.toJSON()).toEqual({});
    expect(errors).toEqual([]);
    for (const c of clients) expect(c.status).toBe('online');
    // Every acknowledged message stored once, each sender's in order, and received once, in stored order.
    const stored = await storedMessages(baseUrl, receiver.token, room);
    expect(stored.length).toBe(total);
    expect(stored.map((m) => m.id).sort()).toEqual(acked.map((m) => m.id).sort());
    for (let i = 0; i < SENDERS.length; i++) expect(laneOrder(stored, i)).toEqual([...Array(PER_SENDER).keys()]);
    for (const t of RECEIVERS)
      expect(
        got.get(t)!.map((m) => m.id),
        t,
      ).toEqual(stored.map((m) => m.id));
  }, 40_000);
});
