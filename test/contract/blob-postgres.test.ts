import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, PostgresBlobStore } from '../../src/files/postgres.js';
import { blobStoreContract } from './blob-store.contract.js';
import { findPostgres } from './store.contract.js';

const { url, tried } = await findPostgres();
if (!url && process.env.HUBBUB_REQUIRE_SERVICES === '1') {
  throw new Error(`PostgreSQL unreachable at ${tried}, and HUBBUB_REQUIRE_SERVICES=1 requires it`);
}

// Every test gets a fresh schema; all are dropped at the end.
const run = `hubbub_blob_${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];
const nextSchema = () => {
  const schema = `${run}_${schemas.length}`;
  schemas.push(schema);
  return schema;
};

blobStoreContract(
  url ? 'blob store contract: postgres' : `blob store contract: postgres (PostgreSQL unreachable at ${tried})`,
  async (clock) => {
    const schema = nextSchema();
    const open = () => PostgresBlobStore.open(url!, { schema, now: clock.now });
    return { store: await open(), reopen: open };
  },
  { skip: !url },
);

describe.skipIf(!url)('postgres blob store: chunks and transactions', () => {
  it('keeps bytes in CHUNK_BYTES rows, and a put that fails midway leaves no row', async () => {
    const schema = nextSchema();
    const blobs = await PostgresBlobStore.open(url!, { schema });
    const client = new pg.Client({ connectionString: url!, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      const key = await blobs.put(Buffer.alloc(CHUNK_BYTES * 2 + 1, 7));
      const chunks = await client.query('SELECT n, length(data) AS len FROM blob_chunks WHERE key = $1 ORDER BY n', [key]);
      expect(chunks.rows.map((r) => [r.n, r.len])).toEqual([
        [0, CHUNK_BYTES],
        [1, CHUNK_BYTES],
        [2, 1],
      ]);
      // A chunk insert that fails (here: a constraint added to make it fail) rolls the blobs row back too.
      await client.query('ALTER TABLE blob_chunks ADD CONSTRAINT small_chunks CHECK (n < 1) NOT VALID');
      const big = Buffer.alloc(CHUNK_BYTES + 10, 9);
      await expect(blobs.put(big)).rejects.toThrow();
      expect((await client.query('SELECT count(*)::int AS c FROM blobs')).rows[0].c).toBe(1);
      expect((await client.query('SELECT count(*)::int AS c FROM blob_chunks')).rows[0].c).toBe(3);
    } finally {
      await client.end();
      await blobs.close();
    }
  });

  it('two nodes starting at once create the tables once', async () => {
    const schema = nextSchema();
    const stores = await Promise.all([1, 2, 3].map(() => PostgresBlobStore.open(url!, { schema })));
    const key = await stores[0]!.put(Buffer.from('shared'));
    expect((await stores[2]!.read(key))!.toString()).toBe('shared');
    for (const s of stores) await s.close();
  });
});

afterAll(async () => {
  if (!url || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await client.end();
  }
});
