import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { BusMessage } from '../../src/bus/bus.js';
import { RedisBus } from '../../src/bus/redis.js';
import { busContract, findRedis, until } from './bus.contract.js';

// Probed before the suites are defined, so an unreachable server shows up as skipped suites named for the reason.
const { url, tried } = await findRedis();
if (!url && process.env.HUBBUB_REQUIRE_SERVICES === '1') {
  throw new Error(`Redis unreachable at ${tried}, and HUBBUB_REQUIRE_SERVICES=1 requires it`);
}
const why = url ? '' : ` (Redis unreachable at ${tried})`;

// A prefix of its own per run, so parallel runs on one Redis never hear each other.
const run = `hubbub-test:${process.pid}:${Date.now().toString(36)}:`;
const quiet = { warn: () => undefined };

busContract(`bus contract: redis${why}`, (group) => new RedisBus(url!, { prefix: `${run}${group}:`, log: quiet }), {
  skip: !url,
  shared: true,
  // Port 1: connection refused at once, and ioredis keeps retrying in the background.
  unreachable: () => new RedisBus('redis://127.0.0.1:1', { prefix: run, readyTimeout: 300, log: quiet }),
});

describe.skipIf(!url)(`redis bus: reconnection${why}`, () => {
  const admin = url ? new Redis(url) : null;
  afterAll(() => admin?.disconnect());

  it('reconnects and resubscribes after its connections are dropped', async () => {
    const bus = new RedisBus(url!, { prefix: `${run}reconnect:`, log: quiet });
    try {
      const got: BusMessage[] = [];
      await bus.subscribe((m) => got.push(m));
      const clients = String(await admin!.client('LIST'));
      const ids = clients
        .split('\n')
        .filter((l) => l.includes(`name=${bus.channel}:`))
        .map((l) => /\bid=(\d+)/.exec(l)![1]!);
      expect(ids).toHaveLength(2);
      for (const id of ids) await admin!.client('KILL', 'ID', id);
      // Doorbells rung while it reconnects are dropped, not queued: keep ringing until one gets through.
      let seq = 0;
      await until(() => {
        if (got.length === 0) void bus.publish({ kind: 'head', node: 'n', seq: ++seq });
        return got.length > 0;
      }, 10_000);
      expect(got[0]).toMatchObject({ kind: 'head', node: 'n' });
    } finally {
      await bus.close();
    }
  });
});
