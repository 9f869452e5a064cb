/**
 * Flood: 100 well-behaved WebSocket clients in one room while one account
 * floods sends over HTTP as fast as it can. Measures the 100 clients'
 * delivery latency (send → receipt) without and with the flood, side by side
 * in one run, and counts what the flooder got refused. Bounded: two phases of
 * `--seconds` each; 127.0.0.1 only.
 *   node --import tsx bench/flood.ts [--seconds 8] [--rate 10]
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { testServer, userApi, type Api } from '../test/helpers/server.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, rate: { type: 'string', default: '10' } } });
const seconds = Number(values.seconds);
const rate = Number(values.rate);

const s = await testServer({ rateLimits: { send: 100, sendPerIp: 1_000_000 } });
await s.app.listen({ port: 0, host: '127.0.0.1' });
const port = (s.app.server.address() as { port: number }).port;
const owner = await userApi(s, 'owner');
const room = (await owner.call('POST', '/api/v1/conversations', { kind: 'room', name: 'flood' })).body.conversation.id as string;
const users: Api[] = [];
for (let i = 0; i < 100; i++) {
  const u = await userApi(s, `calm${i}`);
  await u.call('POST', `/api/v1/conversations/${room}/join`);
  users.push(u);
}
const flooder = await userApi(s, 'flooder');
await flooder.call('POST', `/api/v1/conversations/${room}/join`);

let phase = 'calm';
const latencies: Record<string, number[]> = { calm: [], flood: [] };
const sockets = await Promise.all(
  users.map(
    (u) =>
      new Promise<WebSocket>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, { headers: { authorization: `Bearer ${u.token}` } });
        ws.on('message', (d) => {
          const m = JSON.parse(String(d));
          if (m.type === 'hello') resolve(ws);
          if (m.type === 'message.created' && m.message.body.startsWith('t='))
            latencies[phase]!.push(Date.now() - Number(m.message.body.slice(2)));
        });
      }),
  ),
);

async function runPhase(name: string, flood: boolean): Promise<{ refused: number; accepted: number }> {
  phase = name;
  const end = Date.now() + seconds * 1000;
  let refused = 0;
  let accepted = 0;
  const flooding = flood
    ? (async () => {
        while (Date.now() < end) {
          const batch = await Promise.all(
            Array.from({ length: 20 }, () => flooder.call('POST', `/api/v1/conversations/${room}/messages`, { body: 'spam' })),
          );
          for (const r of batch) r.status === 201 ? accepted++ : refused++;
        }
      })()
    : Promise.resolve();
  const sender = users[0]!;
  while (Date.now() < end) {
    await sender.call('POST', `/api/v1/conversations/${room}/messages`, { body: `t=${Date.now()}` });
    await new Promise((r) => setTimeout(r, 1000 / rate));
  }
  await flooding;
  await new Promise((r) => setTimeout(r, 500)); // let the last deliveries land
  return { refused, accepted };
}

const pct = (a: number[], p: number) => {
  const x = [...a].sort((m, n) => m - n);
  return x.length ? x[Math.min(x.length - 1, Math.floor((p / 100) * x.length))]! : NaN;
};
await runPhase('calm', false);
const f = await runPhase('flood', true);
console.log('| phase | deliveries | p50 ms | p99 ms | max ms | flooder accepted | flooder refused (429) |');
console.log('|---|--:|--:|--:|--:|--:|--:|');
for (const [name, l] of Object.entries(latencies)) {
  console.log(
    `| ${name} | ${l.length} | ${pct(l, 50)} | ${pct(l, 99)} | ${Math.max(...l)} | ${name === 'flood' ? f.accepted : 0} | ${name === 'flood' ? f.refused : 0} |`,
  );
}
for (const ws of sockets) ws.close();
await s.close();
process.exit(0);
