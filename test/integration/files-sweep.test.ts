import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/files/blob-store.js';
import { DiskBlobStore } from '../../src/files/disk.js';
import { PostgresBlobStore } from '../../src/files/postgres.js';
import { BlobSweep } from '../../src/files/sweep.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { TestClock } from '../contract/blob-store.contract.js';
import { findPostgres } from '../contract/store.contract.js';
import { dropSchemas } from '../helpers/cluster.js';

/**
 * The sweep, on both pairs of stores, with a clock the test moves: expired
 * unsent uploads go (row and bytes), unreferenced blobs older than an hour
 * go, and everything referenced, recent or being uploaded again stays.
 */
const HOUR = 3_600_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-sweep-'));
const { url: pgUrl, tried } = await findPostgres();
const schemas: string[] = [];

interface Pair {
  store: Store;
  blobs: BlobStore;
}

const pairs: Array<[string, (clock: TestClock) => Promise<Pair>, boolean]> = [
  [
    'sqlite + disk',
    async (clock) => {
      const n = fs.readdirSync(dir).length;
      return {
        store: new SqliteStore(path.join(dir, `s${n}.db`)),
        blobs: await DiskBlobStore.open(path.join(dir, `files${n}`), { now: clock.now }),
      };
    },
    false,
  ],
  [
    pgUrl ? 'postgres + postgres' : `postgres + postgres (PostgreSQL unreachable at ${tried})`,
    async (clock) => {
      const schema = `hubbub_sweep_${process.pid}_${Date.now().toString(36)}_${schemas.length}`;
      schemas.push(schema);
      return { store: new PostgresStore(pgUrl!, { schema }), blobs: await PostgresBlobStore.open(pgUrl!, { schema, now: clock.now }) };
    },
    !pgUrl,
  ],
];

for (const [name, make, skip] of pairs) {
  describe.skipIf(skip)(`file sweep: ${name}`, () => {
    it('removes expired uploads and old unreferenced blobs; keeps sent, recent and re-uploaded ones', async () => {
      const clock = new TestClock();
      const { store, blobs } = await make(clock);
      try {
        await store.migrate();
        const alice = await store.createUser({ username: 'alice', displayName: 'Alice', passwordHash: 'h' });
        const iso = () => new Date(clock.t).toISOString();
        const conv = (await store.createConversation({ kind: 'group', name: 'g', ownerId: alice.id, memberIds: [], now: iso() }))
          .conversation.id;
        const attach = async (bytes: string) => {
          const key = await blobs.put(Buffer.from(bytes));
          const a = await store.createAttachment({
            conversationId: conv,
            uploaderId: alice.id,
            name: `${bytes}.bin`,
            type: 'application/octet-stream',
            size: bytes.length,
            width: null,
            height: null,
            blobKey: key,
            thumbKey: null,
            thumbSize: 0,
            now: iso(),
            quotaBytes: 1e9,
            totalBytes: 1e9,
          });
          return { key, id: a.id };
        };

        const sent = await attach('sent');
        await store.appendMessage({
          conversationId: conv,
          senderId: alice.id,
          body: '',
          clientMsgId: null,
          now: iso(),
          attachmentIds: [sent.id],
        });
        const expired = await attach('expired upload');
        const orphan = await blobs.put(Buffer.from('orphan'));
        const reuploaded = await blobs.put(Buffer.from('uploaded again'));

        clock.t += 25 * HOUR - 10 * 60_000; // ten minutes before the sweep
        const recentUnsent = await attach('recent upload');
        const recentOrphan = await blobs.put(Buffer.from('recent orphan'));
        await blobs.put(Buffer.from('uploaded again')); // an upload of the same bytes, its row on the way

        clock.t += 10 * 60_000;
        const sweep = new BlobSweep(store, blobs, { unsentUploadHours: 24, intervalMs: null, now: clock.now });
        const result = await sweep.run();

        expect(await store.getAttachment(expired.id)).toBeNull();
        expect(await store.getAttachment(recentUnsent.id)).not.toBeNull();
        expect(await store.getAttachment(sent.id)).not.toBeNull();
        const present = async (key: string) => (await blobs.size(key)) !== null;
        expect({
          sent: await present(sent.key),
          expired: await present(expired.key),
          orphan: await present(orphan),
          reuploaded: await present(reuploaded),
          recentUnsent: await present(recentUnsent.key),
          recentOrphan: await present(recentOrphan),
        }).toEqual({ sent: true, expired: false, orphan: false, reuploaded: true, recentUnsent: true, recentOrphan: true });
        expect(result.expiredBlobs).toBe(1);

        // An hour on, the recent orphan and the re-uploaded blob (still unreferenced) go too; the rest stays.
        clock.t += 2 * HOUR;
        await sweep.run();
        expect([await present(recentOrphan), await present(reuploaded), await present(sent.key), await present(recentUnsent.key)]).toEqual([
          false,
          false,
          true,
          true,
        ]);
        await sweep.stop();
      } finally {
        await blobs.close();
        await store.close();
      }
    });

    it('pages past more referenced blobs than one batch holds', async () => {
      const clock = new TestClock();
      const { store, blobs } = await make(clock);
      try {
        await store.migrate();
        const alice = await store.createUser({ username: 'alice', displayName: 'Alice', passwordHash: 'h' });
        const now = new Date(clock.t).toISOString();
        const conv = (await store.createConversation({ kind: 'group', name: 'g', ownerId: alice.id, memberIds: [], now })).conversation.id;
        const keys = (await Promise.all([...Array(120).keys()].map((i) => blobs.put(Buffer.from(`blob ${i}`))))).sort();
        // The 60 first in key order are in use (uploads waiting to be sent): they fill the first batches.
        for (const key of keys.slice(0, 60)) {
          await store.createAttachment({
            ...{
              conversationId: conv,
              uploaderId: alice.id,
              name: 'f',
              type: 'application/octet-stream',
              size: 6,
              width: null,
              height: null,
            },
            ...{ blobKey: key, thumbKey: null, thumbSize: 0, now, quotaBytes: 1e9, totalBytes: 1e9 },
          });
        }
        clock.t += 2 * HOUR;
        const r = await new BlobSweep(store, blobs, { unsentUploadHours: 24, intervalMs: null, now: clock.now, batch: 25 }).run();
        expect(r.sweptBlobs).toBe(60);
        expect(await blobs.listOlderThan(clock.t, 1000)).toEqual(keys.slice(0, 60));
      } finally {
        await blobs.close();
        await store.close();
      }
    });
  });
}

afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  if (pgUrl) await dropSchemas(pgUrl, schemas);
});
