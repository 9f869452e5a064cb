import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { dropSchemas, findServices, isolation } from '../helpers/cluster.js';
import { fileUpload, jpegWithGps } from '../helpers/files.js';
import { listeningNode } from '../helpers/server.js';

/**
 * Two nodes on one PostgreSQL schema (fileStore auto = postgres), no shared
 * disk: a picture uploaded through node A is served by node B, and deleting
 * the message through B removes the bytes for both.
 */
const svc = await findServices();
const schemas: string[] = [];
const nodes: Server[] = [];

afterAll(async () => {
  for (const n of nodes) await n.close();
  if (svc.pgUrl) await dropSchemas(svc.pgUrl, schemas);
});

describe.skipIf(!svc.ok)(`files across nodes${svc.why}`, () => {
  test('uploaded via A, served by B (file, thumbnail, ranges); deleted via B, gone from both', async () => {
    const iso = isolation('files');
    schemas.push(iso.schema);
    const a = await listeningNode(svc.pgUrl!, iso, 'node-a', svc.redisUrl!);
    nodes.push(a.server);
    const b = await listeningNode(svc.pgUrl!, iso, 'node-b', svc.redisUrl!);
    nodes.push(b.server);

    const call = async (base: string, token: string, method: string, url: string, body?: unknown) => {
      const res = await fetch(base + url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, json: (await res.json()) as any };
    };
    const register = async (base: string, username: string) => {
      await fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: 'hubbub-pass-4821' }),
      });
      const t = await fetch(`${base}/api/v1/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: 'hubbub-pass-4821' }),
      });
      return ((await t.json()) as any).token as string;
    };
    const token = await register(a.base, 'alice');
    const group = (await call(a.base, token, 'POST', '/api/v1/conversations', { kind: 'group', name: 'g' })).json.conversation.id;

    const picture = await jpegWithGps(300, 200);
    const body = fileUpload('photo.jpg', picture);
    const up = await fetch(`${a.base}/api/v1/conversations/${group}/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': body.contentType },
      body: new Uint8Array(body.payload),
    });
    expect(up.status).toBe(201);
    const att = ((await up.json()) as any).attachment;
    const fromA = Buffer.from(await (await fetch(a.base + att.url, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());

    const got = await fetch(b.base + att.url, { headers: { authorization: `Bearer ${token}` } });
    expect([got.status, got.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    const fromB = Buffer.from(await got.arrayBuffer());
    expect(fromB.equals(fromA)).toBe(true);
    expect(fromB.length).toBe(att.size);
    const thumb = await fetch(b.base + att.thumbnailUrl, { headers: { authorization: `Bearer ${token}` } });
    expect([thumb.status, thumb.headers.get('content-type')]).toEqual([200, 'image/webp']);
    const part = await fetch(b.base + att.url, { headers: { authorization: `Bearer ${token}`, range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(fromA.subarray(10, 20))).toBe(true);

    // Sent through B, deleted through B: the bytes leave the database, so neither node serves them.
    const sent = await call(b.base, token, 'POST', `/api/v1/conversations/${group}/messages`, { attachments: [att.id] });
    expect(sent.status).toBe(201);
    expect((await call(b.base, token, 'DELETE', `/api/v1/messages/${sent.json.message.id}`)).status).toBe(200);
    for (const base of [a.base, b.base])
      expect((await fetch(base + att.url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    const client = new pg.Client({ connectionString: svc.pgUrl!, options: `-c search_path=${iso.schema}` });
    await client.connect();
    try {
      const key = crypto.createHash('sha256').update(fromA).digest('hex');
      expect((await client.query('SELECT count(*)::int AS c FROM blobs WHERE key = $1', [key])).rows[0].c).toBe(0);
      expect((await client.query('SELECT count(*)::int AS c FROM blob_chunks')).rows[0].c).toBe(0);
    } finally {
      await client.end();
    }
  });
});
