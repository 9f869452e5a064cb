import os from 'node:os';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropSchemas,
  findServices,
  http,
  isolation,
  ok,
  percentile,
  ProcessCluster,
  registerUser,
  sdkReader,
  strictlyIncreasing,
  waitFor,
  type SdkReader,
  type TestUser,
} from '../helpers/cluster.js';

/**
 * The sizing figures of docs/deploy.md: 3 `hubbub serve` processes on one
 * PostgreSQL and one Redis, 30 senders (10 per node, each sending as fast as
 * its answers come back) and a reader per node on each transport. Every
 * reader must get all 1,500 messages exactly once, in order; the test prints
 * throughput and latency. Senders stay within the default per-user send limit
 * (100 per 10 s), which the CLI does not let a test raise.
 */
const svc = await findServices();
const iso = isolation('mnload');
let cluster: ProcessCluster | null = null;
const readers: SdkReader[] = [];

afterAll(async () => {
  for (const r of readers) r.client.close();
  await cluster?.stop();
  if (svc.pgUrl) await dropSchemas(svc.pgUrl, [iso.schema]);
});

const PER_NODE = 10;
const EACH = 50;
/** Requests each sender keeps in flight. */
const INFLIGHT = 4;

/** /metrics is off the app port unless a token is configured (docs/operations.md); the nodes inherit this one. */
const METRICS_TOKEN = 'multinode-load-metrics-token';
process.env.HUBBUB_METRICS_TOKEN = METRICS_TOKEN;

/** A gauge or counter of the node's /metrics (prom-client's process metrics). */
async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)![1]);
}
const cpuSeconds = (base: string) => metric(base, 'process_cpu_seconds_total');

describe.skipIf(!svc.ok)(`multinode load: throughput through 3 nodes${svc.why}`, () => {
  it('1,500 messages from 30 senders over 3 nodes reach a reader on every node and transport, once each and in order', async () => {
    cluster = await ProcessCluster.start(3, { pgUrl: svc.pgUrl!, redisUrl: svc.redisUrl! }, iso);
    const nodes = cluster.nodes.map((n) => n.base);
    const owner = await registerUser(nodes[0]!, 'owner');
    const conv = (await ok(http(nodes[0]!, 'POST', '/api/v1/conversations', owner.token, { kind: 'room', name: 'load' }), 'room'))
      .conversation.id as string;

    const join = async (base: string, name: string) => {
      const u = await registerUser(base, name);
      await ok(http(base, 'POST', `/api/v1/conversations/${conv}/join`, u.token), `join ${name}`);
      return u;
    };
    const senders: Array<{ base: string; user: TestUser }> = [];
    for (const [i, base] of nodes.entries()) {
      const users = await Promise.all(Array.from({ length: PER_NODE }, (_, k) => join(base, `sender${i}_${k}`)));
      for (const user of users) senders.push({ base, user });
    }
    const transports = ['ws', 'sse', 'longpoll'] as const;
    for (const [i, base] of nodes.entries()) {
      const u = await join(base, `reader${i}`);
      const r = sdkReader(() => base, u.token, transports[i]!);
      readers.push(r);
      await r.client.connect();
    }

    // First without load of our own: one message at a time from a node0 sender, each awaited by all three readers before the next.
    const PINGS = 20;
    for (let i = 0; i < PINGS; i++) {
      const m = (
        await ok(http(nodes[0]!, 'POST', `/api/v1/conversations/${conv}/messages`, senders[0]!.user.token, { body: `ping ${i}` }), 'ping')
      ).message;
      await waitFor(() => readers.every((r) => r.messages().some((x) => x.id === m.id)), `ping ${i} at every reader`);
    }
    const idle = readers.map((r) =>
      r.received.filter((x) => x.event.type === 'message.created').map((x) => x.at - Date.parse(x.event.message.createdAt)),
    );

    const total = PINGS + senders.length * EACH;
    const rtts: number[] = [];
    const cpu0 = await Promise.all(nodes.map(cpuSeconds));
    const load0 = os.loadavg()[0]!;
    const driver0 = process.cpuUsage();
    const t0 = Date.now();
    await Promise.all(
      senders.flatMap(({ base, user }) =>
        Array.from({ length: INFLIGHT }, async (_, lane) => {
          for (let i = lane; i < EACH; i += INFLIGHT) {
            const t = Date.now();
            await ok(
              http(base, 'POST', `/api/v1/conversations/${conv}/messages`, user.token, {
                body: `${user.username}:${i}`,
                clientMsgId: `${i}`,
              }),
              'send',
            );
            rtts.push(Date.now() - t);
          }
        }),
      ),
    );
    const sentMs = Date.now() - t0;
    await waitFor(() => readers.every((r) => r.messages().length >= total), 'every reader to have every message', 30_000);
    const deliveredMs = Math.max(...readers.map((r) => r.received[r.received.length - 1]!.at)) - t0;
    const cpu = (await Promise.all(nodes.map(cpuSeconds))).map((c, i) => c - cpu0[i]!);
    const load1 = os.loadavg()[0]!;
    const driver = process.cpuUsage(driver0);
    const rss = await Promise.all(nodes.map((b) => metric(b, 'process_resident_memory_bytes')));

    const ids = readers[0]!.messages().map((m) => m.id);
    expect(new Set(ids).size).toBe(total);
    for (const r of readers) {
      const got = r.received.filter((x) => x.event.type === 'message.created');
      expect(got.map((x) => x.event.message.id)).toEqual(ids);
      expect(strictlyIncreasing(got.map((x) => x.event.cursor))).toBe(true);
    }

    const latency = readers.map((r) =>
      r.received
        .filter((x) => x.event.type === 'message.created')
        .slice(PINGS)
        .map((x) => x.at - Date.parse(x.event.message.createdAt)),
    );
    const client = new pg.Client({ connectionString: svc.pgUrl! });
    await client.connect();
    const sync = (await client.query('SHOW synchronous_commit')).rows[0].synchronous_commit;
    await client.end();
    const fmt = (xs: number[]) => `p50 ${percentile(xs, 50)} / p95 ${percentile(xs, 95)} / p99 ${percentile(xs, 99)} ms`;
    console.log(
      [
        `[multinode-load] ${total - PINGS} messages (after ${PINGS} one at a time), ${senders.length} senders × ${INFLIGHT} in flight over 3 nodes, PostgreSQL synchronous_commit=${sync}, ${os.cpus().length} cores, load average ${load0.toFixed(1)} → ${load1.toFixed(1)}`,
        ...readers.map((_r, i) => `  one at a time from node0: commit → ${transports[i]} reader on node${i}: ${fmt(idle[i]!)}`),
        `  stored: ${Math.round((total - PINGS) / (sentMs / 1000))} messages/s (all acknowledged after ${sentMs} ms); delivered to all 3 readers after ${deliveredMs} ms`,
        `  send round trip: ${fmt(rtts)}`,
        ...readers.map((_r, i) => `  under load: commit → ${transports[i]} reader on node${i}: ${fmt(latency[i]!)}`),
        `  node CPU: ${cpu.map((c) => c.toFixed(2)).join(' + ')} s = ${((cpu.reduce((a, b) => a + b, 0) * 1000) / (total - PINGS)).toFixed(2)} ms of node CPU per message stored and fanned out; ` +
          `the test's own clients used ${((driver.user + driver.system) / 1e6).toFixed(2)} s of the same 2 cores`,
        `  node memory (RSS) after the run: ${rss.map((b) => `${Math.round(b / 2 ** 20)} MiB`).join(', ')}`,
      ].join('\n'),
    );
  }, 60_000);
});
