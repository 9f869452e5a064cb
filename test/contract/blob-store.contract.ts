import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/files/blob-store.js';

/** A store under test and a way to open the same storage again (a restart). */
export interface BlobStoreUnderTest {
  store: BlobStore;
  reopen(): Promise<BlobStore>;
}

/** A clock the test moves: blobs are aged by moving it, never by waiting. */
export class TestClock {
  t = Date.UTC(2024, 0, 1);
  now = (): number => this.t;
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const HOUR = 3_600_000;

/**
 * The behaviour every BlobStore keeps, run against each implementation.
 * `make` returns a fresh, empty store on its own storage, using `clock`.
 */
export function blobStoreContract(
  name: string,
  make: (clock: TestClock) => Promise<BlobStoreUnderTest>,
  opts: { skip?: boolean } = {},
): void {
  describe.skipIf(!!opts.skip)(name, () => {
    const open: BlobStore[] = [];
    let clock: TestClock;
    let blobs: BlobStore;
    let reopen: () => Promise<BlobStore>;

    async function fresh(): Promise<void> {
      clock = new TestClock();
      const made = await make(clock);
      blobs = made.store;
      open.push(blobs);
      reopen = async () => {
        const again = await made.reopen();
        open.push(again);
        return again;
      };
    }

    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    it('stores bytes under their sha256 and gives them back whole or by range', async () => {
      await fresh();
      const bytes = crypto.randomBytes(700_000); // several chunks wherever a store chunks
      const key = await blobs.put(bytes);
      expect(key).toBe(sha(bytes));
      expect(await blobs.size(key)).toBe(bytes.length);
      expect((await blobs.read(key))!.equals(bytes)).toBe(true);
      for (const [start, end] of [
        [0, 0],
        [0, 99],
        [262_143, 262_144],
        [100_000, 600_000],
        [bytes.length - 1, bytes.length - 1],
        [5, bytes.length - 1],
      ] as const) {
        expect((await blobs.read(key, { start, end }))!.equals(bytes.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
      }
    });

    it('a missing key, or something that is not a key, is null for size and read and ignored by delete', async () => {
      await fresh();
      for (const key of [sha(Buffer.from('never stored')), '../../etc/passwd', 'AB'.repeat(32), '', 'a'.repeat(65)]) {
        expect(await blobs.size(key)).toBeNull();
        expect(await blobs.read(key)).toBeNull();
      }
      await blobs.delete([sha(Buffer.from('never stored')), '../x', '']);
    });

    it('the same bytes twice, even at once, are stored once', async () => {
      await fresh();
      const bytes = crypto.randomBytes(50_000);
      const keys = await Promise.all([blobs.put(bytes), blobs.put(bytes), blobs.put(Buffer.from(bytes))]);
      expect(new Set(keys)).toEqual(new Set([sha(bytes)]));
      clock.t += HOUR;
      expect(await blobs.listOlderThan(clock.t, 10)).toEqual([sha(bytes)]);
      expect((await blobs.read(keys[0]!))!.equals(bytes)).toBe(true);
    });

    it('small and empty blobs round-trip', async () => {
      await fresh();
      for (const bytes of [Buffer.alloc(0), Buffer.from([0]), Buffer.from('hello')]) {
        const key = await blobs.put(bytes);
        expect(await blobs.size(key)).toBe(bytes.length);
        expect((await blobs.read(key))!.equals(bytes)).toBe(true);
      }
    });

    it('delete removes the blob; other blobs stay', async () => {
      await fresh();
      const a = await blobs.put(Buffer.from('a'));
      const b = await blobs.put(Buffer.from('b'));
      await blobs.delete([a]);
      expect(await blobs.size(a)).toBeNull();
      expect(await blobs.read(a)).toBeNull();
      expect(await blobs.size(b)).toBe(1);
      await blobs.delete([a]); // again: nothing to do
      expect(await blobs.put(Buffer.from('a'))).toBe(a); // and it can come back
      expect((await blobs.read(a))!.toString()).toBe('a');
    });

    it('listOlderThan: by the time of the last put, paged in key order', async () => {
      await fresh();
      const old = await Promise.all(['1', '2', '3', '4', '5'].map((s) => blobs.put(Buffer.from(s))));
      clock.t += HOUR;
      const recent = await blobs.put(Buffer.from('recent'));
      const cut = clock.t;
      const listed = await blobs.listOlderThan(cut, 10);
      expect(listed).toEqual([...old].sort());
      expect(listed).not.toContain(recent);
      const first = await blobs.listOlderThan(cut, 2);
      const second = await blobs.listOlderThan(cut, 2, first.at(-1));
      const third = await blobs.listOlderThan(cut, 2, second.at(-1));
      expect([...first, ...second, ...third]).toEqual([...old].sort());
      // Putting an old blob again makes it recent: an upload of the same bytes is about to refer to it.
      clock.t += 1;
      await blobs.put(Buffer.from('3'));
      expect(await blobs.listOlderThan(cut + 1, 10)).not.toContain(sha(Buffer.from('3')));
    });

    it('delete with exceptPutAgainSince keeps what was put again since, removes the rest', async () => {
      await fresh();
      const shared = await blobs.put(Buffer.from('shared picture'));
      const lone = await blobs.put(Buffer.from('lone picture'));
      clock.t += 10 * HOUR;
      const since = clock.t;
      clock.t += 1000;
      await blobs.put(Buffer.from('shared picture')); // someone uploads the same bytes again
      await blobs.delete([shared, lone], { exceptPutAgainSince: since });
      expect(await blobs.size(shared)).toBe(14);
      expect(await blobs.size(lone)).toBeNull();
      // Put again BEFORE the window: no longer protected.
      await blobs.delete([shared], { exceptPutAgainSince: clock.t + 1 });
      expect(await blobs.size(shared)).toBeNull();
    });

    it('a first put is not a put again: delete with a window removes it', async () => {
      await fresh();
      const key = await blobs.put(Buffer.from('fresh upload refused by a quota'));
      await blobs.delete([key], { exceptPutAgainSince: clock.t - 1000 });
      expect(await blobs.size(key)).toBeNull();
    });

    it('a put racing a delete of the same key leaves the blob whole or absent, and a later put restores it', async () => {
      await fresh();
      const bytes = crypto.randomBytes(300_000);
      const key = await blobs.put(bytes);
      for (let i = 0; i < 5; i++) {
        await Promise.all([blobs.delete([key]), blobs.put(bytes)]);
        const size = await blobs.size(key);
        if (size !== null) expect((await blobs.read(key))!.equals(bytes)).toBe(true);
      }
      await blobs.put(bytes);
      expect((await blobs.read(key))!.equals(bytes)).toBe(true);
    });

    it('what was stored is there after a restart', async () => {
      await fresh();
      const bytes = crypto.randomBytes(10_000);
      const key = await blobs.put(bytes);
      await blobs.close();
      const again = await reopen();
      expect((await again.read(key))!.equals(bytes)).toBe(true);
      expect(await again.listOlderThan(clock.t + 1, 10)).toEqual([key]);
    });
  });
}
