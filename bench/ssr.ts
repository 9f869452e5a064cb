/**
 * The cost of a server-rendered public room: requests/s for `/r/<room>` with
 * 50 messages (the page size, SSR_MESSAGES), the server pinned to CPU 0 and
 * this load generator to CPU 1 (npm run bench:ssr).
 *
 *   node --import tsx bench/ssr.ts [--connections 16] [--seconds 10] [--runs 3]
 *
 * Two figures per run:
 * - `steady`: the same page again and again (what a crawler or a link shared
 *   in a busy channel does; a cache keyed by room head serves it);
 * - `moving`: a message is posted every `--every` requests, so the room's
 *   head moves and cached pages go stale (a room that is being talked in).
 * Each response is checked: status 200 and the newest message's text in it.
 * First, in this process: renders/s of the server bundle alone (no store, no
 * HTTP) for the same 50 messages — the render cost without the rest.
 */
import { parseArgs } from 'node:util';
import { startServer } from './lib/procs.js';
import { RawHttpConn } from './lib/raw-http.js';
import { CountingAgent, latencySummary, now, request, sleep } from './lib/util.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    every: { type: 'string', default: '20' },
  },
});
const CONNS = Number(values.connections);
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);
const EVERY = Number(values.every);
const ROOM = 'bench-ssr';

/** The render alone: the server bundle's renderPublicRoom over 50 typical messages, for 3 s after a warm-up. */
async function renderOnly(): Promise<void> {
  // Imported here, not at the top: the same script measures a tree from before the server bundle existed.
  const { BundleLoader } = await import('../src/ssr/bundle.js').catch(() => ({ BundleLoader: null }));
  const loaded = BundleLoader ? new BundleLoader().get() : null;
  if (!loaded) {
    console.log('render only: no server bundle (npm run build:web)');
    return;
  }
  const bundle = await loaded.bundle;
  const names = ['Ada Q.', 'Brook Q.', 'Cyd Q.'];
  const messages = Array.from({ length: 50 }, (_, i) => ({
    id: String(1000 + i),
    conversationId: '1',
    senderId: String(i % 3),
    senderName: names[i % 3]!,
    body: `message ${i} — some <b>markup</b> & "quotes" that must stay text, and a few more words to make it a typical line`,
    createdAt: new Date(Date.UTC(2026, 10, 20, 10, i * 3)).toISOString(),
    editedAt: null,
    deleted: false,
    replyTo: null,
    reactions: [],
    mentions: [],
    mentionsAll: false,
    attachments: [],
    linkPreview: null,
  }));
  const rooms = [
    { name: 'lobby', memberCount: 3 },
    { name: ROOM, memberCount: 3 },
  ];
  const page = { roomName: ROOM, found: true, built: true, memberCount: 3, messages, rooms };
  for (let i = 0; i < 500; i++) await bundle.renderPublicRoom(page);
  let n = 0;
  const t0 = now();
  while (now() - t0 < 3000) {
    await bundle.renderPublicRoom(page);
    n++;
  }
  const ms = now() - t0;
  console.log(`render only: ${(n / (ms / 1000)).toFixed(0)} renders/s, ${((ms / n) * 1000).toFixed(0)} µs per page`);
}
await renderOnly();

const srv = await startServer('hubbub', { cpu: 0 });
try {
  const agent = new CountingAgent();
  const users: string[] = [];
  for (const name of ['ada', 'brook', 'cyd']) {
    const password = 'bench-password-1';
    const displayName = `${name[0]!.toUpperCase()}${name.slice(1)} Q.`;
    await request(agent, srv.base, 'POST', '/api/v1/auth/register', { body: { username: name, password, displayName } });
    const tok = await request(agent, srv.base, 'POST', '/api/v1/tokens', { body: { username: name, password } });
    users.push(tok.body.token as string);
  }
  const made = await request(agent, srv.base, 'POST', '/api/v1/conversations', { token: users[0], body: { kind: 'room', name: ROOM } });
  const roomId = made.body.conversation.id as string;
  for (const t of users.slice(1)) await request(agent, srv.base, 'POST', `/api/v1/conversations/${roomId}/join`, { token: t });
  let posted = 0;
  const post = async (): Promise<string> => {
    const body = `message ${posted} — some <b>markup</b> & "quotes" that must stay text, and a few more words to make it a typical line`;
    const token = users[posted % 3 === 0 ? 0 : posted % 7 === 1 ? 1 : 2];
    const r = await request(agent, srv.base, 'POST', `/api/v1/conversations/${roomId}/messages`, { token, body: { body } });
    if (r.status !== 201) throw new Error(`post: ${r.status} ${r.text}`);
    posted++;
    return `message ${posted - 1} —`;
  };
  let newest = '';
  for (let i = 0; i < 50; i++) newest = await post();

  const head = `GET /r/${ROOM} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: keep-alive\r\n\r\n`;
  async function phase(moving: boolean): Promise<{ rps: number; p50: number; p99: number; bytes: number }> {
    const conns = Array.from({ length: CONNS }, () => new RawHttpConn('127.0.0.1', srv.port));
    const lat: number[] = [];
    let done = 0;
    let bytes = 0;
    let stop = false;
    let writing: Promise<void> = Promise.resolve();
    const t0 = now();
    await Promise.all(
      conns.map(async (c) => {
        while (!stop) {
          // What was committed before this request was sent must be on the page.
          const want = newest;
          const t = now();
          const r = await c.request(head);
          lat.push(now() - t);
          const text = r.body.toString('utf8');
          if (r.status !== 200 || !text.includes(want)) throw new Error(`bad page: ${r.status} (want "${want}")`);
          bytes = r.body.length;
          done++;
          if (moving && done % EVERY === 0)
            writing = writing.then(async () => {
              newest = await post();
            });
          if (now() - t0 > SECONDS * 1000) stop = true;
        }
      }),
    );
    await writing;
    const secs = (now() - t0) / 1000;
    for (const c of conns) c.destroy();
    const s = latencySummary(Float64Array.from(lat));
    return { rps: done / secs, p50: s.p50, p99: s.p99, bytes };
  }

  // Warm up (JIT, caches), then alternate the two phases.
  await phase(false);
  const rows: Array<{ run: number; kind: string; rps: number; p50: number; p99: number; bytes: number }> = [];
  for (let run = 1; run <= RUNS; run++) {
    for (const moving of [false, true]) {
      const r = await phase(moving);
      rows.push({ run, kind: moving ? 'moving' : 'steady', ...r });
      process.stderr.write(
        `run ${run} ${moving ? 'moving' : 'steady'}: ${r.rps.toFixed(0)} req/s, ` +
          `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.bytes} bytes\n`,
      );
      await sleep(500);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const kind of ['steady', 'moving']) {
    const rs = rows.filter((r) => r.kind === kind);
    console.log(
      `${kind}: median ${median(rs.map((r) => r.rps)).toFixed(0)} req/s, p50 ${median(rs.map((r) => r.p50)).toFixed(1)} ms, ` +
        `p99 ${median(rs.map((r) => r.p99)).toFixed(1)} ms, page ${rs[0]!.bytes} bytes (${CONNS} connections, ${SECONDS} s × ${RUNS})`,
    );
  }
} finally {
  await srv.stop();
}
