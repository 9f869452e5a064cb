import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskBlobStore } from '../../src/files/disk.js';
import { blobStoreContract, TestClock } from './blob-store.contract.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-blobs-'));
let n = 0;

blobStoreContract('blob store contract: disk', async (clock) => {
  const dir = path.join(root, `s${n++}`);
  return { store: await DiskBlobStore.open(dir, { now: clock.now }), reopen: () => DiskBlobStore.open(dir, { now: clock.now }) };
});

describe('disk blob store: layout and crashes', () => {
  it('stores ab/cdef… with no temp file left behind', async () => {
    const dir = path.join(root, `s${n++}`);
    const blobs = await DiskBlobStore.open(dir);
    const key = await blobs.put(Buffer.from('layout'));
    await blobs.close();
    expect(fs.readdirSync(dir)).toEqual([key.slice(0, 2)]);
    expect(fs.readdirSync(path.join(dir, key.slice(0, 2)))).toEqual([key.slice(2)]);
    expect(fs.statSync(path.join(dir, key.slice(0, 2), key.slice(2))).mode & 0o777).toBe(0o600);
  });

  it('a half-written temp file left by a crash is never a blob, and open() removes it', async () => {
    const dir = path.join(root, `s${n++}`);
    const clock = new TestClock();
    const first = await DiskBlobStore.open(dir, { now: clock.now });
    const whole = await first.put(Buffer.from('whole'));
    await first.close();
    // What kill -9 in the middle of a put leaves: a temp file beside the blobs, maybe in a directory of its own.
    const sub = path.join(dir, whole.slice(0, 2));
    fs.writeFileSync(path.join(sub, '.tmp-999-abcdef'), 'half of a fi');
    fs.mkdirSync(path.join(dir, 'ff'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'ff', '.tmp-999-012345'), 'half');
    const before = await DiskBlobStore.open(dir, { now: clock.now });
    expect(fs.readdirSync(sub)).toEqual([whole.slice(2)]);
    expect(fs.readdirSync(path.join(dir, 'ff'))).toEqual([]);
    clock.t += 10_000;
    expect(await before.listOlderThan(clock.t, 10)).toEqual([whole]);
    expect((await before.read(whole))!.toString()).toBe('whole');
    await before.close();
  });
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
