/**
 * Upload time (npm run bench:upload): a 10 MiB file and a photo-like
 * 4000×3000 JPEG (re-encoded, with its thumbnail), each the median of N
 * uploads over real HTTP to an in-process node, from the first byte sent to
 * the 201 answer. Also the image step alone (processUpload), to show where
 * the photo's time goes. Stores: SQLite + disk, and with --pg PostgreSQL for
 * both the rows and the bytes.
 *
 *   node --import tsx bench/upload.ts [--runs 7] [--pg postgres://127.0.0.1:5432/test]
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import sharp from 'sharp';
import { processUpload } from '../src/files/images.js';
import { createServer } from '../src/server.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, pg: { type: 'string' } } });
const RUNS = Number(values.runs);
const MiB = 1024 * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

/** Noise blurred a little: compresses like a photograph (a flat image would be unrealistically cheap). */
async function photo(width: number, height: number): Promise<Buffer> {
  const raw = crypto.randomBytes(width * height * 3);
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .blur(1.5)
    .jpeg({ quality: 90 })
    .toBuffer();
}

function multipart(name: string, data: Buffer): { body: Uint8Array<ArrayBuffer>; type: string } {
  const boundary = `----bench${crypto.randomBytes(8).toString('hex')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    body: new Uint8Array(Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${boundary}--\r\n`)])),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

async function run(label: string, config: Record<string, unknown>, inputs: { file: Buffer; photos: Buffer[] }): Promise<void> {
  const server = await createServer({
    port: 0,
    logLevel: 'silent',
    scryptCost: 1 << 10,
    ...config,
    rateLimits: { uploads: 100_000 } as never,
  });
  try {
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.app.server.address() as { port: number };
    const base = `http://127.0.0.1:${port}`;
    const post = (url: string, body: unknown, token?: string) =>
      fetch(base + url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<any>);
    await post('/api/v1/auth/register', { username: 'bench', password: 'hubbub-pass-4821' });
    const { token } = await post('/api/v1/tokens', { username: 'bench', password: 'hubbub-pass-4821' });
    const conv = (await post('/api/v1/conversations', { kind: 'group', name: 'bench' }, token)).conversation.id;

    // Fresh bytes each run: a repeat would find its blob stored already (content addressing) and skip the write.
    // A file gets a random tail; a photo must differ in its pixels (re-encoding drops any tail): one photo a run.
    const time = async (name: string, data: Buffer): Promise<number> => {
      const { body, type } = multipart(name, data);
      const t0 = performance.now();
      const r = await fetch(`${base}/api/v1/conversations/${conv}/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body,
      });
      await r.arrayBuffer();
      if (r.status !== 201) throw new Error(`upload ${name}: ${r.status}`);
      return performance.now() - t0;
    };
    const file: number[] = [];
    const pic: number[] = [];
    await time('warm.bin', inputs.file.subarray(0, 1024));
    for (let i = 0; i < RUNS; i++) {
      file.push(await time('file.bin', Buffer.concat([inputs.file, crypto.randomBytes(16)])));
      pic.push(await time('photo.jpg', inputs.photos[i]!));
    }
    console.log(`${label}: 10 MiB file: ${fmt(file)}`);
    console.log(`${label}: 4000×3000 JPEG (${(inputs.photos[0]!.length / MiB).toFixed(1)} MiB) + thumbnail: ${fmt(pic)}`);
  } finally {
    await server.close();
  }
}

const photos: Buffer[] = [];
for (let i = 0; i < RUNS; i++) photos.push(await photo(4000, 3000));
const inputs = { file: crypto.randomBytes(10 * MiB), photos };

const step: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  await processUpload(photos[i]!, 'photo.jpg', { maxPixels: 50_000_000 });
  step.push(performance.now() - t0);
}
console.log(`processUpload alone, 4000×3000 JPEG → JPEG + WebP thumbnail: ${fmt(step)}`);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-bench-upload-'));
try {
  await run('sqlite + disk', { dataDir }, inputs);
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}

if (values.pg) {
  const schema = `hubbub_bench_upload_${process.pid}`;
  try {
    await run('postgres + postgres', { databaseUrl: values.pg, databaseSchema: schema, dataDir: os.tmpdir() }, inputs);
  } finally {
    const client = new pg.Client({ connectionString: values.pg });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}
