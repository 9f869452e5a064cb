import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { exited, startProcess } from '../helpers/process.js';

/**
 * kill -9 while 10 clients send: after a restart every acknowledged message is
 * there exactly once, and every client resumes (retrying its unacknowledged
 * message with the same clientMsgId, then syncing from its cursor).
 */
describe('durability', () => {
  test('acknowledged messages survive kill -9 exactly once', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-kill-'));
    let node = await startProcess(['--data-dir', dataDir]);
    const api = async (base: string, method: string, url: string, token?: string, body?: unknown) => {
      const r = await fetch(base + url, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: r.status, body: (await r.json()) as any };
    };
    const clients: Array<{ token: string; cursor: string; acked: string[]; inflight: string | null; n: number }> = [];
    for (let i = 0; i < 10; i++) {
      const username = `sender${i}`;
      await api(node.base, 'POST', '/api/v1/auth/register', undefined, { username, password: 'hubbub-pass-4821' });
      const token = (await api(node.base, 'POST', '/api/v1/tokens', undefined, { username, password: 'hubbub-pass-4821' })).body.token;
      clients.push({ token, cursor: '', acked: [], inflight: null, n: 0 });
    }
    const lobby = (await api(node.base, 'GET', '/api/v1/rooms')).body.rooms.find((r: any) => r.name === 'lobby').id;
    for (const c of clients) {
      await api(node.base, 'POST', `/api/v1/conversations/${lobby}/join`, c.token);
      c.cursor = (await api(node.base, 'GET', '/api/v1/sync', c.token)).body.cursor;
    }

    // Each client sends one message at a time until the server dies under it.
    let killed = false;
    const loops = clients.map(async (c, i) => {
      while (!killed) {
        c.inflight ??= `c${i}-m${c.n++}`;
        try {
          const r = await api(node.base, 'POST', `/api/v1/conversations/${lobby}/messages`, c.token, {
            body: `from ${i}`,
            clientMsgId: c.inflight,
          });
          if (r.status === 201 || r.status === 200) {
            c.acked.push(c.inflight);
            c.inflight = null;
          }
        } catch {
          return; // connection refused or reset: the server is gone
        }
      }
    });
    while (clients.reduce((n, c) => n + c.acked.length, 0) < 200) await new Promise((r) => setTimeout(r, 5));
    node.child.kill('SIGKILL');
    killed = true;
    await exited(node.child);
    await Promise.all(loops);

    node = await startProcess(['--data-dir', dataDir]);
    try {
      // Resume: retry the in-flight message with the same id, then sync from the old cursor.
      for (const c of clients) {
        if (c.inflight) {
          const r = await api(node.base, 'POST', `/api/v1/conversations/${lobby}/messages`, c.token, {
            body: 'retry',
            clientMsgId: c.inflight,
          });
          expect([200, 201]).toContain(r.status);
          c.acked.push(c.inflight);
        }
      }
      const stored: string[] = [];
      let before = '';
      for (;;) {
        const page = (await api(node.base, 'GET', `/api/v1/rooms/lobby/messages?limit=100${before ? `&before=${before}` : ''}`)).body
          .messages;
        if (page.length === 0) break;
        stored.unshift(...page.map((m: any) => m.clientMsgId));
        before = page[0].id;
      }
      const all = clients.flatMap((c) => c.acked);
      expect(stored.length).toBe(new Set(stored).size); // exactly once
      expect(new Set(stored)).toEqual(new Set(all)); // nothing acknowledged is missing, nothing extra
      for (const c of clients) {
        const events: any[] = [];
        let cursor = c.cursor;
        for (;;) {
          const r = (await api(node.base, 'GET', `/api/v1/sync?since=${cursor}&limit=1000`, c.token)).body;
          events.push(...r.events);
          cursor = r.cursor;
          if (!r.more) break;
        }
        const ids = events.filter((e) => e.type === 'message.created').map((e) => e.message.clientMsgId);
        expect(ids).toEqual(stored);
      }
    } finally {
      node.child.kill('SIGTERM');
      const { code } = await exited(node.child);
      expect(code).toBe(0); // SIGTERM is a clean exit
    }
  });
});
