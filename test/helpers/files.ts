import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import sharp from 'sharp';

/** Sample files for the upload tests: built here from bytes, so each test says exactly what it feeds the server. */

/** A JPEG carrying EXIF (camera make), GPS (a map datum string we can look for) and orientation 6 (rotate 90°). */
export async function jpegWithGps(width = 40, height = 20): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: 'blue' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'HubbubPhone' },
      IFD3: { GPSMapDatum: 'HUBBUB-DATUM', GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100' },
    })
    .toBuffer();
}

export function png(width = 8, height = 8, channels: 3 | 4 = 3): Promise<Buffer> {
  return sharp({ create: { width, height, channels, background: { r: 200, g: 10, b: 10, alpha: 0.5 } } })
    .png()
    .toBuffer();
}

/** A photo-like JPEG (noise compresses like a photo, unlike a flat colour). */
export async function photoJpeg(width: number, height: number): Promise<Buffer> {
  const noise = Buffer.alloc(width * height * 3);
  let x = 12345;
  for (let i = 0; i < noise.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    noise[i] = (x >> 16) & 0xff;
  }
  return sharp(noise, { raw: { width, height, channels: 3 } })
    .blur(2)
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A valid PNG of a few dozen bytes whose header declares width × height: a decompression bomb. */
export function pngBomb(width = 100_000, height = 100_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(1000))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An uncompressed 24-bit bottom-up BMP, every pixel `rgb`. */
export function bmp24(width: number, height: number, rgb: [number, number, number]): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = 54 + y * stride + x * 3;
      out[at] = rgb[2];
      out[at + 1] = rgb[1];
      out[at + 2] = rgb[0];
    }
  }
  return out;
}

/** The smallest thing file-type calls a PDF. */
export const tinyPdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

export const svgWithScript = Buffer.from(
  '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>',
);

export const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');

/** One part of a multipart/form-data body: a file (with `filename`) or a plain field. */
export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer | string;
}

/** A multipart/form-data body and its Content-Type, built by hand so tests control every byte. */
export function multipart(parts: Part[]): { payload: Buffer; contentType: string } {
  const boundary = `----hubbubtest${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"` + (p.filename === undefined ? '' : `; filename="${p.filename}"`);
    const head =
      `--${boundary}\r\nContent-Disposition: ${disposition}\r\n` + (p.contentType ? `Content-Type: ${p.contentType}\r\n` : '') + '\r\n';
    chunks.push(Buffer.from(head, 'utf8'), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The usual upload: one part named "file". */
export function fileUpload(filename: string, data: Buffer, contentType = 'application/octet-stream') {
  return multipart([{ name: 'file', filename, contentType, data }]);
}

/** What inject() answers, with the body as bytes (files are not JSON). */
export interface Fetched {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Buffer;
  json(): any;
}

interface Injectable {
  app: { inject(opts: object): Promise<{ statusCode: number; headers: Fetched['headers']; rawPayload: Buffer; json(): any }> };
}

const asFetched = (r: { statusCode: number; headers: Fetched['headers']; rawPayload: Buffer; json(): any }): Fetched => ({
  status: r.statusCode,
  headers: r.headers,
  body: r.rawPayload,
  json: () => r.json(),
});

/** POST /api/v1/conversations/:id/attachments with a bearer token (none: logged out). */
export async function uploadTo(
  s: Injectable,
  token: string | null,
  conversationId: string,
  body: { payload: Buffer | string; contentType: string },
): Promise<Fetched> {
  const headers: Record<string, string> = { 'content-type': body.contentType };
  if (token) headers.authorization = `Bearer ${token}`;
  return asFetched(
    await s.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/attachments`, headers, payload: body.payload }),
  );
}

/** GET (or HEAD) a path with a bearer token (none: logged out) and extra headers. */
export async function fetchFile(
  s: Injectable,
  token: string | null,
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Fetched> {
  const h = { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
  return asFetched(await s.app.inject({ method, url, headers: h }));
}

/** Every file under dataDir/files (blobs and any temp file), as paths relative to it. */
export function filesOnDisk(dataDir: string): string[] {
  const root = path.join(dataDir, 'files');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Rows of a table in a node's SQLite database, read beside the running server. */
export function sqliteCount(dataDir: string, table: 'attachments' | 'messages'): number {
  const db = new Database(path.join(dataDir, 'hubbub.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT count(*) AS c FROM ${table}`).get() as { c: number }).c;
  } finally {
    db.close();
  }
}
