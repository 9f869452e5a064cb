import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/**
 * Text files worth compressing. Not index.html: the server reads it as the
 * template of every page (src/ssr/index.ts). Images and fonts are compressed formats already.
 */
const COMPRESSIBLE = /\.(?:js|mjs|css|svg|json|webmanifest|txt)$/;

/**
 * Below this a compressed copy saves less than the headers it costs (and
 * below one TCP packet, no round trip either).
 */
export const MIN_COMPRESS_BYTES = 1024;

export interface Precompressed {
  file: string;
  bytes: number;
  br: number;
  gzip: number;
}

/**
 * Writes `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip, level 9)
 * beside every compressible file under `dir`, at build time
 * (web/vite.config.ts), so the server sends them with no CPU per request
 * (./static.ts). Maximum settings because they run once per build: on this
 * machine brotli 11 takes ~0.5 s for the whole app and saves ~15% over gzip 9.
 * A copy that would not be smaller than the file is not written.
 */
export function precompressDir(dir: string): Precompressed[] {
  const out: Precompressed[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !COMPRESSIBLE.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    const raw = fs.readFileSync(file);
    if (raw.length < MIN_COMPRESS_BYTES) continue;
    const br = zlib.brotliCompressSync(raw, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
      },
    });
    const gz = zlib.gzipSync(raw, { level: zlib.constants.Z_BEST_COMPRESSION });
    if (br.length < raw.length) fs.writeFileSync(`${file}.br`, br);
    if (gz.length < raw.length) fs.writeFileSync(`${file}.gz`, gz);
    out.push({ file: path.relative(dir, file), bytes: raw.length, br: br.length, gzip: gz.length });
  }
  return out;
}
