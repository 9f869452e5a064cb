import { afterAll, describe, expect, test } from 'vitest';
import { HubbubClient, type Message, type TransportName } from '../../client/index.js';
import { decodeCursor, encodeCursor } from '../../src/domain/cursor.js';
import type { Server } from '../../src/server.js';
import { laneOrder, Refusals, storedMessages, waitMonotonic } from '../helpers/chaos.js';
import { PgInstance } from '../helpers/pg-instance.js';
import { testServer, userApi } from '../helpers/server.js';
import { listen, waitFor } from './transports.helpers.js';

/**
 * The chaos promise through a PostgreSQL outage (issue 11, item 6), on a
 * PostgreSQL of the test's own (the shared one is never stopped): SDK senders
 * send continuously while the database is stopped for a few seconds and
 * started again. Every send refused meanwhile is refused with 503
 * STORE_UNAVAILABLE (HTTP) or its error frame (WebSocket), never INTERNAL;
 * the SDK retries with the same clientMsgId, so every acknowledged message is
 * stored once and reaches an SDK receiver on each transport once, in order.
 * A long poll whose cached credential went stale during the outage keeps
 * waiting and gets the first message after it.
 */
const found = PgInstance.findBin();
if (!found.bin && process.env.HUBBUB_REQUIRE_SERVICES === '1')
  throw new Error(`no PostgreSQL binaries (looked in ${found.tried}), and HUBBUB_REQUIRE_SERVICES=1 requires them`);

const PASSWORD = 'chaos-outage-pass-5519';
const TOTAL = 600;
/** The outage starts once this many are acknowledged. */
const OUTAGE_AT = 150;
const RECEIVERS: TransportName[] = ['ws', 'sse', 'longpoll'];
/** Two senders ride a WebSocket (error frames), one has only HTTP (503 answers). */
const SENDERS: TransportName[] = ['ws', 'ws', 'longpoll'];
const LANES_PER_SENDER = 2;

let pg: PgInstance | null = null;
let s: Server | null = null;
const clients: HubbubClient[] = [];
afterAll(async () => {
  for (const c of clients.splice(0)) c.close();
  await s?.close();
  pg?.destroy();
});

describe.skipIf(!found.bin)(
  `chaos: PostgreSQL stops and starts under load${found.bin ? '' : ` (no PostgreSQL binaries in ${found.tried})`}`,
  () => {
    test('every refusal is 503 STORE_UNAVAILABLE; every acknowledged message stored and received once, in order; a cached long poll waits it out', async () => {
      pg = await PgInstance.create(found.bin!);
      pg.start();
      // A credential is fresh for 1 s, so the poller's goes stale early in the outage (the stale grace stays the default 60 s).
      s = await testServer({ databaseUrl: pg.url, storeRetryAfterSeconds: 1, authCacheSeconds: 1 });
      const { baseUrl } = await listen(s);
      const readyz = async () => (await fetch(`${baseUrl}/readyz`)).status;
      const receiver = await userApi(s, 'receiver', PASSWORD);
      const poller = await userApi(s, 'poller', PASSWORD);
      const senderApis = await Promise.all(SENDERS.map((_, i) => userApi(s!, `sender${i}`, PASSWORD)));
      const room = (await receiver.call('POST', '/api/v1/conversations', { kind: 'room', name: 'outage' })).body.conversation.id as string;
      for (const a of [poller, ...senderApis]) expect((await a.call('POST', `/api/v1/conversations/${room}/join`)).status).toBe(200);

      const refusals = new Refusals();
      const opts = {
        baseUrl,
        WebSocket: refusals.webSocket(),
        fetch: refusals.fetch(),
        backoff: { baseMs: 20, maxMs: 250 },
        longPollWait: 5,
        requestTimeoutMs: 5000,
      };
      const got = new Map<TransportName, Message[]>();
      const wsEvents: Array<{ cursor: string; message: Message }> = [];
      const errors: unknown[] = [];
      for (const t of RECEIVERS) {
        const c = new HubbubClient({ ...opts, token: receiver.token, transports: [t] });
        clients.push(c);
        const mine: Message[] = [];
        got.set(t, mine);
        c.on('message', (m, ev) => {
          mine.push(m);
          if (t === 'ws') wsEvents.push({ cursor: ev.cursor, message: m });
        });
        c.on('error', (e) => errors.push(e));
        await c.connect();
      }
      const senders = await Promise.all(
        SENDERS.map(async (t, i) => {
          const who = `sender${i}`;
          const c = new HubbubClient({
            ...opts,
            token: senderApis[i]!.token,
            transports: [t],
            WebSocket: refusals.webSocket(who),
            fetch: refusals.fetch(who),
          });
          clients.push(c);
          c.on('error', (e) => errors.push(e));
          await c.connect();
          return c;
        }),
      );
      expect(await readyz()).toBe(200);

      // The poller's credential is cached by its first long poll (answered by a message), then left to go stale.
      const headBefore = (await poller.call('GET', '/api/v1/sync')).body.cursor as string;
      const firstPoll = fetch(`${baseUrl}/api/v1/sync?since=${headBefore}&wait=20`, {
        headers: { authorization: `Bearer ${poller.token}` },
      });

      const acked: Message[] = [];
      const lanes = SENDERS.length * LANES_PER_SENDER;
      const perLane = (l: number) => Math.floor(TOTAL / lanes) + (l < TOTAL % lanes ? 1 : 0);
      const sending = Promise.all(
        [...Array(lanes).keys()].map(async (l) => {
          const c = senders[l % senders.length]!;
          for (let k = 0; k < perLane(l); k++) acked.push(await c.send(room, `${l}:${k}`));
        }),
      );
      const first = await firstPoll;
      expect(first.status).toBe(200);
      expect(((await first.json()) as { events: unknown[] }).events.length).toBeGreaterThan(0);

      await waitFor(() => acked.length >= OUTAGE_AT, `${OUTAGE_AT} acknowledged`, 15_000);
      pg.stop();
      await waitFor(async () => (await readyz()) === 503, '/readyz 503 during the outage', 5000);
      const readyDown = await fetch(`${baseUrl}/readyz`);
      expect(readyDown.status).toBe(503);
      expect(await readyDown.json()).toEqual({ ok: false, code: 'STORE_UNAVAILABLE' });

      // The poller re-polls with a stale credential while the database is down: it must wait, not fail.
      await waitFor(() => s!.auth.cached(poller.token, 'bearer')?.fresh === false, "the poller's cached credential to go stale", 7000);
      const outageHead = s.hub.log.head;
      let pollSettled = false;
      const outagePoll = fetch(`${baseUrl}/api/v1/sync?since=${encodeCursor(outageHead)}&wait=20`, {
        headers: { authorization: `Bearer ${poller.token}` },
      }).finally(() => {
        pollSettled = true;
      });
      await waitFor(() => pollSettled || s!.hub.connectionsOf(poller.user.id) === 1, 'the outage poll to be waiting', 5000);
      expect(pollSettled).toBe(false);
      // The outage lasts until every lane was refused three times: the HTTP sender's retry a Retry-After (1 s) later each time, so 2 s at least.
      await waitMonotonic(
        () => SENDERS.every((_, i) => refusals.of(`sender${i}`) >= 3 * LANES_PER_SENDER),
        () => `every lane refused three times (${JSON.stringify(Object.fromEntries(refusals.byClient))})`,
        10_000,
      );
      expect(await readyz()).toBe(503);
      expect(pollSettled).toBe(false);

      pg.start();
      await waitFor(async () => (await readyz()) === 200, '/readyz 200 after recovery', 10_000);
      await sending;
      await waitMonotonic(
        () => RECEIVERS.every((t) => got.get(t)!.length >= TOTAL),
        () => `${TOTAL} messages on every receiver (${RECEIVERS.map((t) => `${t}: ${got.get(t)!.length}`).join(', ')})`,
        20_000,
      );

      // The poll that waited through the outage got the first message stored after it, as a 200.
      const polled = await outagePoll;
      expect(polled.status).toBe(200);
      const pollEvents = ((await polled.json()) as { events: Array<{ type: string; message?: Message }> }).events;
      const stored = await storedMessages(baseUrl, receiver.token, room);
      const firstAfter = wsEvents.find((ev) => decodeCursor(ev.cursor) > outageHead)!;
      expect(pollEvents[0]?.type).toBe('message.created');
      expect(pollEvents[0]?.message?.id).toBe(firstAfter.message.id);

      // Refusals: some, and every one STORE_UNAVAILABLE (503 with Retry-After on HTTP).
      const figures = {
        bySender: Object.fromEntries(refusals.byClient),
        acked: acked.length,
        stored: stored.length,
        received: Object.fromEntries(RECEIVERS.map((t) => [t, got.get(t)!.length])),
        refusals: refusals.toJSON(),
        httpStatus: Object.fromEntries(refusals.httpStatus),
      };
      console.log('chaos-pg-outage figures', JSON.stringify(figures));
      expect(refusals.total).toBeGreaterThan(0);
      expect(refusals.toJSON()).toEqual({ STORE_UNAVAILABLE: refusals.total });
      expect([...refusals.httpStatus.keys()]).toEqual([503]);
      expect([...refusals.retryAfter]).toEqual(['1']);

      // No client gave up (a 401 or a refusal taken as final would stop it).
      expect(errors).toEqual([]);
      for (const c of clients) expect(c.status).toBe('online');
      // Stored exactly once: every acknowledged message, nothing else, each lane in the order sent.
      expect(acked.length).toBe(TOTAL);
      expect(stored.map((m) => m.id).sort()).toEqual(acked.map((m) => m.id).sort());
      expect(new Set(stored.map((m) => m.body)).size).toBe(TOTAL);
      for (let l = 0; l < lanes; l++) expect(laneOrder(stored, l)).toEqual([...Array(perLane(l)).keys()]);
      // Received exactly once, in the stored order, on every transport.
      for (const t of RECEIVERS)
        expect(
          got.get(t)!.map((m) => m.id),
          t,
        ).toEqual(stored.map((m) => m.id));
    }, 30_000);
  },
);
