import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../domain/errors.js';
import { BLOB_KEY, type BlobStore, type BlobStoreOptions } from './blob-store.js';

const TEMP_PREFIX = '.tmp-';
/** How long a "put again" mark is remembered: longer than any caller's window (the sweep's is 1 hour). */
const PUT_AGAIN_MEMORY_MS = 2 * 3_600_000;

/**
 * Blobs as files under `root` (dataDir/files), content-addressed:
 * `ab/cdef…` for key `abcdef…`, 256 directories so none grows huge.
 *
 * Never a half file: bytes go to a temp file in the blob's own directory
 * (same file system, so the rename is atomic), are fsynced, get their time,
 * and are renamed into place; the directory is fsynced so the rename
 * survives a power cut. A crash leaves at most a `.tmp-*` file, which no
 * reader ever opens and open() removes. A file's mtime is its last put.
 *
 * One process owns the directory (the disk store is for a single node), so
 * "put again" marks live in memory, and puts and deletes of one key are
 * serialised here: a delete cannot slip between a put's "already stored"
 * and its return.
 */
export class DiskBlobStore implements BlobStore {
  readonly kind = 'disk' as const;
  private readonly now: () => number;
  private readonly putAgain = new Map<string, number>();
  private readonly busy = new Map<string, Promise<unknown>>();
  private readonly madeDirs = new Set<string>();

  private constructor(
    private readonly root: string,
    opts: BlobStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Opens (creating) the directory and removes temp files an earlier crash left. */
  static async open(root: string, opts: BlobStoreOptions = {}): Promise<DiskBlobStore> {
    await fs.mkdir(root, { recursive: true });
    for (const dir of await subdirs(root)) {
      for (const name of await fs.readdir(path.join(root, dir))) {
        if (name.startsWith(TEMP_PREFIX)) await fs.rm(path.join(root, dir, name), { force: true });
      }
    }
    return new DiskBlobStore(root, opts);
  }

  private pathOf(key: string): string {
    return path.join(this.root, key.slice(0, 2), key.slice(2));
  }

  /** Runs `fn` after every earlier operation on `key` has finished. */
  private exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.busy.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.busy.set(key, settled);
    void settled.then(() => {
      if (this.busy.get(key) === settled) this.busy.delete(key);
    });
    return run;
  }

  put(bytes: Buffer): Promise<string> {
    const key = crypto.createHash('sha256').update(bytes).digest('hex');
    return this.exclusive(key, async () => {
      const file = this.pathOf(key);
      const now = this.now();
      const existing = await fs.stat(file).catch(() => null);
      if (existing) {
        this.markPutAgain(key, now);
        await fs.utimes(file, new Date(now), new Date(now));
        return key;
      }
      await this.writeAtomically(file, bytes, now);
      return key;
    });
  }

  private async writeAtomically(file: string, bytes: Buffer, now: number): Promise<void> {
    const dir = path.dirname(file);
    if (!this.madeDirs.has(dir)) {
      await fs.mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const temp = path.join(dir, `${TEMP_PREFIX}${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
    try {
      const handle = await fs.open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.utimes(temp, new Date(now), new Date(now));
      await fs.rename(temp, file);
    } catch (err) {
      await fs.rm(temp, { force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new AppError('STORAGE_FULL');
      throw err;
    }
    await syncDir(dir);
  }

  private markPutAgain(key: string, now: number): void {
    this.putAgain.delete(key); // re-inserted at the end: the map stays in time order
    this.putAgain.set(key, now);
    // Forget marks older than any window: the map stays as small as the last two hours' repeats.
    for (const [k, at] of this.putAgain) {
      if (at >= now - PUT_AGAIN_MEMORY_MS) break;
      this.putAgain.delete(k);
    }
  }

  async size(key: string): Promise<number | null> {
    if (!BLOB_KEY.test(key)) return null;
    const st = await fs.stat(this.pathOf(key)).catch(() => null);
    return st ? st.size : null;
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Buffer | null> {
    if (!BLOB_KEY.test(key)) return null;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.pathOf(key), 'r');
    } catch {
      return null;
    }
    try {
      if (!range) return await handle.readFile();
      const out = Buffer.alloc(Math.max(0, range.end - range.start + 1));
      const { bytesRead } = await handle.read(out, 0, out.length, range.start);
      return out.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async delete(keys: readonly string[], opts: { exceptPutAgainSince?: number } = {}): Promise<void> {
    const since = opts.exceptPutAgainSince;
    await Promise.all(
      keys
        .filter((k) => BLOB_KEY.test(k))
        .map((key) =>
          this.exclusive(key, async () => {
            if (since !== undefined && (this.putAgain.get(key) ?? -Infinity) >= since) return;
            this.putAgain.delete(key);
            await fs.rm(this.pathOf(key), { force: true });
          }),
        ),
    );
  }

  async listOlderThan(before: number, limit: number, afterKey = ''): Promise<string[]> {
    const out: string[] = [];
    for (const dir of (await subdirs(this.root)).sort()) {
      if (dir < afterKey.slice(0, 2)) continue;
      const names = (await fs.readdir(path.join(this.root, dir))).filter((n) => !n.startsWith(TEMP_PREFIX)).sort();
      for (const name of names) {
        const key = dir + name;
        if (key <= afterKey || !BLOB_KEY.test(key)) continue;
        const st = await fs.stat(path.join(this.root, dir, name)).catch(() => null);
        // utimes goes through seconds as a float: 1 ms can come back as 0.999.
        if (!st || Math.round(st.mtimeMs) >= before) continue;
        out.push(key);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.busy.values());
  }
}

async function subdirs(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && /^[0-9a-f]{2}$/.test(e.name)).map((e) => e.name);
}

/** Makes a rename in `dir` durable. Not every platform can fsync a directory; there the rename is as durable as it gets. */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM on some platforms
  } finally {
    await handle?.close();
  }
}
