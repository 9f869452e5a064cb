import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';

/**
 * Property: any frame a client sends over /api/v1/ws — arbitrary JSON, frames
 * shaped like requests with wrong values, raw text — gets an `ack` or an
 * `error`, never crashes the server, and a refused frame changes nothing.
 */
const RUNS = Number(process.env.HUBBUB_FUZZ_RUNS ?? 300);

describe('fuzzing WebSocket frames', () => {
  let s: Server;
  let alice: Api;
  let conv: string;
  let ws: WebSocket;
  const replies: any[] = [];
  const counts: Record<string, number> = {};

  beforeAll(async () => {
    // The bad-frame limit closes abusive connections; this test wants to keep talking.
    s = await testServer();
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    alice = await userApi(s, 'alice');
    const bob = await userApi(s, 'bob');
    await befriend(alice, bob);
    conv = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
  });
  afterAll(async () => {
    ws?.close();
    await s.close();
    console.log(`websocket fuzz cases run: ${JSON.stringify(counts)}`);
  });

  async function connect(): Promise<void> {
    const port = (s.app.server.address() as { port: number }).port;
    ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, { headers: { authorization: `Bearer ${alice.token}` } });
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.type === 'ack' || m.type === 'error') replies.push(m);
    });
    await new Promise((r) => ws.once('open', r));
  }

  /** Sends one frame, waits for its answer (or a close, after which it reconnects). */
  async function exchange(frame: string): Promise<any> {
    if (!ws || ws.readyState !== WebSocket.OPEN) await connect();
    const n = replies.length;
    const closed = new Promise<'closed'>((r) => ws.once('close', () => r('closed')));
    ws.send(frame);
    const answered = (async () => {
      while (replies.length === n) await new Promise((r) => setImmediate(r));
      return replies[n];
    })();
    return Promise.race([answered, closed]);
  }

  const state = async () => ({ head: await s.store.headSeq(), messages: (await s.store.listMessages(conv, null, 100)).length });

  const check = async (kind: string, frame: string) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    const before = await state();
    const reply = await exchange(frame);
    if (reply === 'closed') return; // too many bad frames in a row: closed with 1008, reconnect
    expect(['ack', 'error']).toContain(reply.type);
    if (reply.type === 'error') {
      expect(typeof reply.error.code).toBe('string');
      expect(await state()).toEqual(before);
    }
    expect((await fetch(`http://127.0.0.1:${(s.app.server.address() as { port: number }).port}/healthz`)).status).toBe(200);
  };

  test('arbitrary JSON values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (v) => check('json', JSON.stringify(v) ?? 'null')),
      { numRuns: RUNS },
    );
  });

  test('request-shaped frames with wrong values', async () => {
    const anyValue = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(conv),
      fc.array(fc.nat(), { maxLength: 2 }),
      fc.string({ minLength: 4001, maxLength: 4010 }),
    );
    const frame = fc.record(
      {
        type: fc.oneof(fc.constantFrom('send', 'typing', 'read', 'ping', 'subscribe', ''), anyValue),
        ref: fc.oneof(fc.string({ maxLength: 70 }), anyValue),
        conversationId: anyValue,
        body: anyValue,
        clientMsgId: anyValue,
        upTo: anyValue,
        extra: anyValue,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(frame, async (f) => check('shaped', JSON.stringify(f))),
      { numRuns: RUNS },
    );
  });

  test('raw text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (t) => check('text', t)),
      { numRuns: RUNS },
    );
  });
});
