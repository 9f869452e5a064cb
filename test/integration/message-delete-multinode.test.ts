import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeCursor } from '../../src/domain/cursor.js';
import type { Server } from '../../src/server.js';
import { dropSchemas, findServices, http, isolation, ok, registerUser, waitFor, type Isolation } from '../helpers/cluster.js';
import { listeningNode } from '../helpers/server.js';

/**
 * A deleted message leaves nothing readable behind, on every node: not in
 * any table of the database (its row, its edit history, the stored events
 * that carried it — its own and the quotes of replies to it), not in `sync`
 * from any cursor, not in the server-rendered room page, and not in either
 * node's in-memory log (the entries and the wire bytes cached on them). Two
 * in-process nodes on one PostgreSQL schema with the Redis bus.
 */
const svc = await findServices();
const schemas: string[] = [];
const open: Array<() => unknown> = [];
/** Unique text in the deleted message's bodies, searched for everywhere. */
const SECRET = 'Qx7Hq';

afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});
afterAll(async () => {
  if (svc.pgUrl) await dropSchemas(svc.pgUrl, schemas);
});

interface Node {
  server: Server;
  base: string;
}

async function node(iso: Isolation, name: string): Promise<Node> {
  const n = await listeningNode(svc.pgUrl!, iso, name, svc.redisUrl!);
  open.push(() => n.server.close());
  return n;
}

/** Rows of every table in the schema whose text mentions `needle`, as "table: n". */
async function rowsMentioning(schema: string, needle: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: svc.pgUrl! });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
      [schema],
    );
    expect(tables.rows.map((t) => t.table_name)).toEqual(expect.arrayContaining(['messages', 'events']));
    const found: string[] = [];
    for (const { table_name } of tables.rows) {
      const r = await client.query(`SELECT count(*)::int AS n FROM "${schema}"."${table_name}" t WHERE t::text LIKE $1`, [`%${needle}%`]);
      if (r.rows[0].n > 0) found.push(`${table_name}: ${r.rows[0].n}`);
    }
    return found;
  } finally {
    await client.end();
  }
}

/** Everything a node holds in memory for `userId` after `after`: entries, and the wire bytes cached on them. */
function memoryText(n: Node, userId: string, after: number): string {
  const r = n.server.hub.readRecent(userId, after, 100_000);
  expect(r, 'the tail still covers the test').not.toBeNull();
  return r!.entries
    .map((e) => [e.frame, e.payload, e.bytes, e.sse, e.ws].map((x) => (x === undefined ? '' : String(x))).join('\n'))
    .join('\n');
}

describe.skipIf(!svc.ok)(`a deleted message on two nodes${svc.why}`, () => {
  it('is gone from the database, from sync of every cursor, from the SSR page and from both nodes’ memory', async () => {
    const iso = isolation('msgdel');
    schemas.push(iso.schema);
    const a = await node(iso, 'a');
    const b = await node(iso, 'b');
    const alice = await registerUser(a.base, 'alice');
    const bob = await registerUser(b.base, 'bob');
    const room = (await ok(http(a.base, 'POST', '/api/v1/conversations', alice.token, { kind: 'room', name: 'secrets' }), 'room'))
      .conversation.id;
    await ok(http(b.base, 'POST', `/api/v1/conversations/${room}/join`, bob.token), 'join');
    const start = (await http(b.base, 'GET', '/api/v1/sync', bob.token)).body.cursor as string;

    // The message, an edit (so an edit history), a reaction, a reply quoting it, a message after it.
    const send = (n: Node, token: string, body: Record<string, string>) =>
      ok(http(n.base, 'POST', `/api/v1/conversations/${room}/messages`, token, body), 'send').then((r) => r.message);
    await send(a, alice.token, { body: 'before it' });
    const secret = await send(a, alice.token, { body: `the first ${SECRET} draft` });
    await ok(http(a.base, 'PATCH', `/api/v1/messages/${secret.id}`, alice.token, { body: `the ${SECRET} as edited` }), 'edit');
    await ok(http(b.base, 'PUT', `/api/v1/messages/${secret.id}/reactions/${encodeURIComponent('👀')}`, bob.token), 'react');
    await send(b, bob.token, { body: 'quoting it', replyTo: secret.id });
    await send(b, bob.token, { body: 'after it' });

    // Both nodes hold it now: in memory, and in the room's rendered page.
    const headOf = async (n: Node) => n.server.hub.head;
    const written = await headOf(a);
    await waitFor(async () => (await headOf(b)) >= written && (await headOf(a)) >= (await headOf(b)), 'both nodes at one head');
    for (const n of [a, b]) {
      expect(memoryText(n, bob.id, decodeCursor(start))).toContain(SECRET);
      expect(await (await fetch(`${n.base}/r/secrets`)).text()).toContain(SECRET);
    }
    expect(await rowsMentioning(iso.schema, SECRET)).not.toEqual([]);
    // Every cursor of bob's stream, from before the message to after it.
    const cursors = [start];
    for (const e of (await http(b.base, 'GET', `/api/v1/sync?since=${start}&limit=500`, bob.token)).body.events) cursors.push(e.cursor);

    // Deleted through the other node than the one that wrote it.
    const tomb = (await ok(http(b.base, 'DELETE', `/api/v1/messages/${secret.id}`, alice.token), 'delete')).message;
    expect(tomb).toMatchObject({ id: secret.id, deleted: true, body: '', reactions: [], mentions: [] });
    const deletedAt = await headOf(b);
    await waitFor(async () => (await headOf(a)) >= deletedAt, 'node a to ingest the delete');

    expect(await rowsMentioning(iso.schema, SECRET)).toEqual([]);
    for (const n of [a, b]) {
      for (const c of cursors) {
        const body = (await http(n.base, 'GET', `/api/v1/sync?since=${c}&limit=500`, bob.token)).body;
        expect(JSON.stringify(body), `sync from ${c} on ${n.base}`).not.toContain(SECRET);
      }
      expect(memoryText(n, bob.id, decodeCursor(start)), `memory of ${n.base}`).not.toContain(SECRET);
      expect(memoryText(n, alice.id, decodeCursor(start)), `memory of ${n.base}`).not.toContain(SECRET);
      const page = await (await fetch(`${n.base}/r/secrets`)).text();
      expect(page, `SSR page on ${n.base}`).not.toContain(SECRET);
      expect(page).toContain('after it');
      const history = (await http(n.base, 'GET', `/api/v1/conversations/${room}/messages`, bob.token)).body;
      expect(JSON.stringify(history)).not.toContain(SECRET);
      expect(history.messages.find((m: any) => m.id === secret.id)).toMatchObject({ deleted: true, body: '' });
      expect(history.messages.find((m: any) => m.body === 'quoting it').replyTo).toMatchObject({
        id: secret.id,
        deleted: true,
        preview: '',
      });
      expect((await http(n.base, 'GET', `/api/v1/messages/${secret.id}/edits`, bob.token)).body.edits ?? []).toEqual([]);
    }
  }, 60_000);
});
