import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage } from '../../src/bus/bus.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for bus messages');
    await sleep(5);
  }
}

/** Whether Redis answers PING within a second (HUBBUB_TEST_REDIS_URL, default the local one). */
export async function findRedis(): Promise<{ url: string | null; tried: string }> {
  const url = process.env.HUBBUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return { url, tried: url.replace(/\/\/[^@/]*@/, '//') };
  } catch {
    return { url: null, tried: url.replace(/\/\/[^@/]*@/, '//') };
  } finally {
    client.disconnect();
  }
}

export interface BusContractOptions {
  skip?: boolean;
  /** Buses made with the same group share one channel (true for a networked bus; a MemoryBus is alone). */
  shared?: boolean;
  /** A bus whose server cannot be reached: it must still never throw. */
  unreachable?: () => Bus;
}

/**
 * The behaviour every Bus keeps. `make(group)` returns a new bus; with
 * `shared`, buses of one group hear each other and no other group.
 */
export function busContract(name: string, make: (group: string) => Bus, opts: BusContractOptions = {}): void {
  describe.skipIf(!!opts.skip)(name, () => {
    const open: Bus[] = [];
    const bus = (group: string) => {
      const b = make(group);
      open.push(b);
      return b;
    };
    const listen = async (b: Bus) => {
      const got: BusMessage[] = [];
      await b.subscribe((m) => got.push(m));
      return got;
    };
    const head = (node: string, seq: number): BusMessage => ({ kind: 'head', node, seq });
    const signal = (node: string, conversationId: string | null): BusMessage => ({
      kind: 'signal',
      node,
      conversationId,
      userIds: ['1', '2'],
      frame: '{"type":"typing"}',
    });

    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    it('delivers head and signal messages, in order, to its own subscriber', async () => {
      const b = bus('own');
      const got = await listen(b);
      const sent = [head('n1', 7), signal('n1', '42'), signal('n1', null), head('n1', 8)];
      for (const m of sent) await b.publish(m);
      await until(() => got.length >= sent.length);
      expect(got).toEqual(sent);
    });

    it('stops delivering once closed; publishing after close does not throw', async () => {
      const b = bus('closing');
      const got = await listen(b);
      await b.publish(head('n1', 1));
      await until(() => got.length === 1);
      await b.close();
      await b.publish(head('n1', 2));
      await b.close(); // idempotent
      await sleep(100);
      expect(got).toEqual([head('n1', 1)]);
    });

    if (opts.shared)
      it('delivers to every node on the channel and to no other channel', async () => {
        const [a, b, stranger] = [bus('shared'), bus('shared'), bus('other')];
        const [gotA, gotB, gotStranger] = [await listen(a), await listen(b), await listen(stranger)];
        await a.publish(head('a', 1));
        await b.publish(signal('b', '9'));
        await until(() => gotA.length >= 2 && gotB.length >= 2);
        expect(gotA).toEqual([head('a', 1), signal('b', '9')]);
        expect(gotB).toEqual(gotA);
        await b.close();
        await a.publish(head('a', 2));
        await until(() => gotA.length >= 3);
        await sleep(100);
        expect(gotB).toHaveLength(2);
        expect(gotStranger).toEqual([]);
      });

    if (opts.unreachable)
      it('never throws when its server is unreachable', async () => {
        const b = opts.unreachable!();
        open.push(b);
        const started = Date.now();
        await b.subscribe(() => undefined);
        await b.publish(head('n1', 1));
        await b.publish(signal('n1', null));
        await b.close();
        expect(Date.now() - started).toBeLessThan(5000);
      });
  });
}
