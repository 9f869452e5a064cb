import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { registerUser, type TestUser } from '../helpers/cluster.js';
import { fileUpload, filesOnDisk, sqliteCount } from '../helpers/files.js';
import { exited, startProcess } from '../helpers/process.js';

/**
 * kill -9 of a node (a child process on SQLite and the disk file store)
 * while an upload streams in, or while it is being stored: after a restart
 * there is no partial file, no temp file, no attachment row without its
 * whole bytes, and no message.
 */
const MiB = 1024 * 1024;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function node(dataDir: string) {
  return startProcess(['--data-dir', dataDir, '--set', 'rateLimits.uploads=1000', '--set', 'scryptCost=1024']);
}

async function roomOf(base: string, user: TestUser): Promise<string> {
  const r = await fetch(`${base}/api/v1/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'room', name: 'crash' }),
  });
  return ((await r.json()) as any).conversation.id;
}

/** Starts an upload and resolves once `upTo` bytes of it are written to the socket (handed to the kernel). */
function streamUpload(base: string, user: TestUser, conv: string, body: { payload: Buffer; contentType: string }, upTo: number) {
  const url = new URL(base);
  const req = http.request({
    host: url.hostname,
    port: url.port,
    method: 'POST',
    path: `/api/v1/conversations/${conv}/attachments`,
    headers: { authorization: `Bearer ${user.token}`, 'content-type': body.contentType, 'content-length': String(body.payload.length) },
  });
  req.on('error', () => undefined); // the node dies under it
  return new Promise<http.ClientRequest>((resolve) => {
    let at = 0;
    const next = (): void => {
      if (at >= upTo) return resolve(req);
      const chunk = body.payload.subarray(at, Math.min(upTo, at + 256 * 1024));
      at += chunk.length;
      req.write(chunk, () => next());
    };
    next();
  });
}

/** Every attachment row's blob is on disk, whole: its bytes hash to its key and have its size. */
function rowsHaveWholeBlobs(dataDir: string): void {
  const db = new Database(path.join(dataDir, 'hubbub.db'), { readonly: true });
  try {
    for (const row of db.prepare('SELECT blob_key, size FROM attachments').all() as Array<{ blob_key: string; size: number }>) {
      const file = path.join(dataDir, 'files', row.blob_key.slice(0, 2), row.blob_key.slice(2));
      const bytes = fs.readFileSync(file);
      expect(bytes.length).toBe(row.size);
      expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe(row.blob_key);
    }
  } finally {
    db.close();
  }
}

// Each test starts a node twice (a child process compiling the sources through tsx takes seconds).
describe('kill -9 during an upload', { timeout: 90_000 }, () => {
  test('mid-stream: after the restart, no partial file, no attachment, no message', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-crash-'));
    dirs.push(dataDir);
    let n = await node(dataDir);
    const user = await registerUser(n.base, 'crasher');
    const conv = await roomOf(n.base, user);
    const body = fileUpload('big.bin', crypto.randomBytes(24 * MiB));
    // 20 MiB written: more than loopback socket buffers hold (a few MiB), so the node has been reading it.
    const req = await streamUpload(n.base, user, conv, body, 20 * MiB);
    const done = exited(n.child);
    n.child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    req.destroy();

    n = await node(dataDir);
    try {
      expect(filesOnDisk(dataDir)).toEqual([]);
      expect(sqliteCount(dataDir, 'attachments')).toBe(0);
      expect(sqliteCount(dataDir, 'messages')).toBe(0);
      // And the node takes uploads again.
      const small = fileUpload('small.bin', Buffer.from('after the crash'));
      const again = await fetch(`${n.base}/api/v1/conversations/${conv}/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.token}`, 'content-type': small.contentType },
        body: new Uint8Array(small.payload),
      });
      expect(again.status).toBe(201);
      expect(filesOnDisk(dataDir)).toHaveLength(1);
    } finally {
      n.child.kill('SIGKILL');
      await exited(n.child);
    }
  });

  test('while storing: whatever survives is whole, and temp files are gone', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-crash-'));
    dirs.push(dataDir);
    let n = await node(dataDir);
    const user = await registerUser(n.base, 'crasher');
    const conv = await roomOf(n.base, user);
    // The whole body is sent; the node is killed while it reads, hashes or writes it.
    const body = fileUpload('big.bin', crypto.randomBytes(24 * MiB));
    const req = await streamUpload(n.base, user, conv, body, body.payload.length);
    const done = exited(n.child);
    n.child.kill('SIGKILL');
    await done;
    req.destroy();

    n = await node(dataDir);
    try {
      expect(filesOnDisk(dataDir).filter((f) => path.basename(f).startsWith('.tmp-'))).toEqual([]);
      rowsHaveWholeBlobs(dataDir);
      expect(sqliteCount(dataDir, 'messages')).toBe(0);
    } finally {
      n.child.kill('SIGKILL');
      await exited(n.child);
    }
  });
});
