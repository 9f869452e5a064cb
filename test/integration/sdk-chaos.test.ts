import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { HubbubClient, type Message, type StreamEvent, type TransportName } from '../../client/index.js';
import type { Server } from '../../src/server.js';
import { testServer, userApi } from '../helpers/server.js';
import { listen, rng, waitFor } from './transports.helpers.js';

/**
 * An SDK client receives 2,000 messages from 3 senders while its connection
 * is cut at random moments — its socket destroyed, a server-side close, a
 * server restart on the same data dir and port — and ends with exactly the
 * 2,000, in order, each once. The senders are SDK clients too: their sends
 * retry through the same cuts with the same clientMsgId. Meanwhile an editor
 * works on messages of its own (send, edit, react, unreact, every other one
 * deleted) through the same cuts: the receiver ends with exactly the stored
 * stream — every event once, in order, as stored.
 */
const TOTAL = 2000;
/** Messages the editor works on (5 requests each, every other one deleted). */
const WORKED = 40;
const SENDERS = 3;
const LANES = 4;
type Cut = 'destroy' | 'server-close' | 'restart';

describe('chaos resume', () => {
  let server: Server | null = null;
  const clients: HubbubClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = null;
  });

  it.each<TransportName>(['ws', 'sse', 'longpoll'])(
    'over %s: exactly the 2,000 messages, in order, once each',
    async (transport) => {
      const random = rng(transport.length * 7919 + 17);
      server = await testServer();
      const { dataDir } = server as Server & { dataDir: string };
      const { port, baseUrl } = await listen(server);
      const receiver = await userApi(server, 'receiver');
      const senderApis = await Promise.all([...Array(SENDERS).keys()].map((i) => userApi(server!, `sender${i}`)));
      const room = (await receiver.call('POST', '/api/v1/conversations', { kind: 'room', name: 'chaos' })).body.conversation;
      for (const s of senderApis) await s.call('POST', `/api/v1/conversations/${room.id}/join`);

      const opts = { baseUrl, WebSocket, backoff: { baseMs: 20, maxMs: 250 }, longPollWait: 5 };
      const client = new HubbubClient({ ...opts, token: receiver.token, transports: [transport] });
      clients.push(client);
      const got: Message[] = [];
      const cursors: string[] = [];
      const worked = new Set<string>();
      const all: StreamEvent[] = [];
      client.on('event', (ev) => all.push(ev));
      client.on('message', (m, ev) => {
        if (m.deleted || worked.has(m.body.split(' ')[0]!)) return;
        got.push(m);
        cursors.push(ev.cursor);
      });
      const typed: string[] = [];
      client.on('messageUpdated', (_m, ev) => typed.push(ev.type));
      client.on('messageDeleted', (ev) => typed.push(ev.type));
      client.on('reaction', (ev) => typed.push(ev.type));
      let resets = 0;
      client.on('reset', () => resets++);
      await client.connect();
      const start = client.cursor!;

      // Cut points at random message counts; every kind of cut happens at least once.
      const kinds: Cut[] = ['destroy', 'server-close', 'restart', 'destroy', 'server-close', 'restart'];
      const points = kinds.map(() => 100 + Math.floor(random() * (TOTAL - 300))).sort((a, b) => a - b);
      let cutting: Promise<void> | null = null;
      const done: Cut[] = [];
      const cut = async (kind: Cut) => {
        const s = server!;
        if (kind === 'destroy') {
          for (const ws of s.app.websocketServer.clients) ws.terminate();
          s.app.server.closeAllConnections();
        } else if (kind === 'server-close') {
          s.hub.closeAll(random() < 0.5 ? 'SLOW_CONSUMER' : 'SHUTTING_DOWN');
        } else {
          await s.close();
          server = await testServer({ dataDir });
          await listen(server, port);
        }
        done.push(kind);
      };
      const poll = setInterval(() => {
        if (cutting || points.length === 0 || got.length < points[0]!) return;
        points.shift();
        cutting = cut(kinds[done.length]!).finally(() => {
          cutting = null;
        });
      }, 2);

      // Senders are connected over WebSocket (sends ride the socket, falling back to POST while it is down).
      const senders = await Promise.all(
        senderApis.map(async (api) => {
          const c = new HubbubClient({ ...opts, token: api.token, transports: ['ws'] });
          clients.push(c);
          await c.connect();
          return c;
        }),
      );
      // Each sender sends on a few lanes at once (order is checked per lane), so the run is not bound by round trips.
      const lanes = SENDERS * LANES;
      const perLane = (l: number) => Math.floor(TOTAL / lanes) + (l < TOTAL % lanes ? 1 : 0);
      // The editor's messages start with a word of their own ("w<k>"), so the lane checks below can leave them out.
      const editor = senders[0]!;
      const work = async () => {
        for (let k = 0; k < WORKED; k++) {
          worked.add(`w${k}`);
          const m = await editor.send(room.id, `w${k} draft`);
          await editor.edit(m.id, `w${k} final`);
          await editor.react(m.id, '👍', true);
          await editor.react(m.id, '👍', false);
          if (k % 2 === 0) await editor.deleteMessage(m.id);
        }
      };
      try {
        await Promise.all([
          work(),
          ...[...Array(lanes).keys()].map(async (l) => {
            const c = senders[l % SENDERS]!;
            for (let k = 0; k < perLane(l); k++) await c.send(room.id, `${l}:${k}`);
          }),
        ]);
        await waitFor(
          () => got.length >= TOTAL && typed.length >= WORKED * 3 + WORKED / 2 && points.length === 0 && cutting === null,
          `${TOTAL} messages (have ${got.length})`,
          40_000,
        );
      } finally {
        clearInterval(poll);
      }

      expect(done.sort()).toEqual([...kinds].sort());
      expect(resets).toBe(0);
      expect(got.length).toBe(TOTAL);
      expect(new Set(got.map((m) => m.id)).size).toBe(TOTAL);
      // In order: strictly increasing positions, and each lane's messages in the order sent.
      const positions = cursors.map((c) => parseInt(c.slice(1), 36));
      for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThan(positions[i - 1]!);
      for (let l = 0; l < lanes; l++) {
        const mine = got.filter((m) => m.body.startsWith(`${l}:`)).map((m) => Number(m.body.split(':')[1]));
        expect(mine).toEqual([...Array(perLane(l)).keys()]);
      }
      // Exactly what the server stored, in the same order.
      const stored: string[] = [];
      const workedIds = new Set<string>();
      let before: string | undefined;
      for (;;) {
        // The first server is gone after a restart: ask the current one over HTTP.
        const res = await fetch(`${baseUrl}/api/v1/conversations/${room.id}/messages?limit=100${before ? `&before=${before}` : ''}`, {
          headers: { authorization: `Bearer ${receiver.token}` },
        });
        const page = ((await res.json()) as { messages: Message[] }).messages;
        if (page.length === 0) break;
        stored.unshift(...page.map((m) => m.id));
        for (const m of page) if (m.deleted || /^w\d+ /.test(m.body)) workedIds.add(m.id);
        before = page[0]!.id;
      }
      expect(got.map((m) => m.id)).toEqual(stored.filter((id) => !workedIds.has(id)));
      expect(client.transport).toBe(transport);

      // Every event as stored, once, in order: the editor's too.
      const expected: StreamEvent[] = [];
      for (let since = start; ; ) {
        const res = await fetch(`${baseUrl}/api/v1/sync?since=${since}&limit=500`, {
          headers: { authorization: `Bearer ${receiver.token}` },
        });
        const page = (await res.json()) as { events: StreamEvent[]; cursor: string; more: boolean };
        expected.push(...page.events);
        since = page.cursor;
        if (!page.more) break;
      }
      expect(all.map((e) => `${e.cursor} ${e.type}`)).toEqual(expected.map((e) => `${e.cursor} ${e.type}`));
      // As stored, but for what a delete took back since: a live reader saw a deleted message's created and
      // updated events with their body; as stored now they carry the tombstone (checked for that below).
      const live = (e: StreamEvent) => !((e.type === 'message.created' || e.type === 'message.updated') && e.message.deleted);
      expect(all.filter((_e, i) => live(expected[i]!))).toEqual(expected.filter(live));
      const tombstones = expected.filter((e) => !live(e));
      expect(tombstones.length).toBe(WORKED); // a created and an updated event for each deleted one
      for (const e of tombstones) expect(e).toMatchObject({ message: { body: '', deleted: true, reactions: [], mentions: [] } });
      const count = (type: string) => expected.filter((e) => e.type === type).length;
      expect([count('message.updated'), count('reaction.added'), count('reaction.removed'), count('message.deleted')]).toEqual([
        WORKED,
        WORKED,
        WORKED,
        WORKED / 2,
      ]);
      expect(typed.length).toBe(WORKED * 3 + WORKED / 2);
    },
    50_000,
  );
});
