import sharp, { type Sharp } from 'sharp';
import { AppError } from '../domain/errors.js';
import { normalizeFileName } from '../domain/rules.js';
import { bmpSize, decodeBmp } from './bmp.js';
import { nameForType, type Sniffed, sniffType, UNKNOWN_TYPE } from './sniff.js';

/**
 * The one place that decides what an uploaded file becomes (issue 14):
 * - the type comes from the bytes (sniff.ts), never from the name or header;
 * - images are decoded and encoded again with sharp. That drops every byte of
 *   metadata (EXIF, GPS location, XMP, ICC after conversion to sRGB) and any
 *   payload hidden after the pixels; the EXIF orientation is applied first so
 *   the picture stands the right way up without it. JPEG, PNG, WebP and GIF
 *   (animation kept) stay in their format; HEIC, AVIF, TIFF and BMP, which
 *   browsers may not show, become JPEG (PNG when transparent; BMP always PNG,
 *   being mostly screenshots). Each gets a WebP thumbnail;
 * - the pixel count is read from the header and checked against maxPixels
 *   BEFORE any pixel is decoded (a 70-byte PNG can declare 100000×100000);
 * - SVG is not an image here: it can carry script, so it is stored as the
 *   uploaded bytes, typed image/svg+xml for the card, and only ever served as
 *   an application/octet-stream download (serving.ts). Rasterising it would
 *   show a picture but feed untrusted XML to librsvg and lose the vector file
 *   the sender meant to share;
 * - everything else (PDF, archives, HTML, text…) is stored byte for byte as a
 *   download with its sniffed type, or application/octet-stream when unknown.
 */

/** Thumbnails: WebP, within THUMBNAIL_SIDE × THUMBNAIL_SIDE, never enlarged. */
export const THUMBNAIL_TYPE = 'image/webp';
export const THUMBNAIL_SIDE = 320;

/** Re-encoded in their own format: every browser shows them, so they may be served inline. */
const KEPT = { 'image/jpeg': 'jpeg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif' } as const;
type Format = (typeof KEPT)[keyof typeof KEPT];
/** Decoded and re-encoded to JPEG or PNG. */
const CONVERTED = new Set(['image/heic', 'image/heif', 'image/avif', 'image/tiff', 'image/bmp']);
const HEIC = new Set(['image/heic', 'image/heif']);

/** Types this server produced by re-encoding: the only files it serves inline. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set(Object.keys(KEPT));

export interface ProcessedUpload {
  bytes: Buffer;
  type: string;
  name: string;
  width: number | null;
  height: number | null;
  thumb: Buffer | null;
}

/**
 * Turns uploaded bytes into what is stored. Throws FILE_EMPTY (no bytes),
 * IMAGE_TOO_LARGE (more than maxPixels, checked from the header) or
 * IMAGE_UNREADABLE (sniffed as an image but not decodable).
 */
export async function processUpload(bytes: Buffer, name: string, opts: { maxPixels: number }): Promise<ProcessedUpload> {
  if (bytes.length === 0) throw new AppError('FILE_EMPTY');
  const sniffed = await sniffType(bytes);
  const given = normalizeFileName(name);
  if (!sniffed || !isDecodedImage(sniffed.mime)) {
    const fixed = sniffed ? normalizeFileName(nameForType(given, sniffed.ext)) : given;
    return { bytes, type: sniffed?.mime ?? UNKNOWN_TYPE, name: fixed, width: null, height: null, thumb: null };
  }
  const source = await openImage(bytes, sniffed, opts.maxPixels);
  const format = outputFormat(sniffed.mime, source.hasAlpha);
  const animated = source.pages > 1 && (format === 'gif' || format === 'webp');
  const [full, thumb] = await Promise.all([
    decoding(sniffed, () => encode(source.pipeline(animated), format).toBuffer({ resolveWithObject: true })),
    decoding(sniffed, () => thumbnail(source.pipeline(false))),
  ]);
  const height = full.info.pageHeight ?? full.info.height;
  return {
    bytes: full.data,
    type: `image/${format}`,
    name: normalizeFileName(nameForType(given, format === 'jpeg' ? 'jpg' : format)),
    width: full.info.width,
    height,
    thumb,
  };
}

/**
 * A still copy of an image fetched from elsewhere (a link preview's og:image),
 * within maxSide × maxSide, as JPEG (PNG when transparent), with no metadata.
 * Anything that is not a decodable raster image → IMAGE_UNREADABLE.
 */
export async function reencodeImage(
  bytes: Buffer,
  opts: { maxPixels: number; maxSide: number },
): Promise<{ bytes: Buffer; type: string; width: number; height: number }> {
  if (bytes.length === 0) throw new AppError('FILE_EMPTY');
  const sniffed = await sniffType(bytes);
  if (!sniffed || !isDecodedImage(sniffed.mime)) throw new AppError('IMAGE_UNREADABLE');
  const source = await openImage(bytes, sniffed, opts.maxPixels);
  const format = source.hasAlpha ? 'png' : 'jpeg';
  const { data, info } = await decoding(sniffed, () =>
    encode(source.pipeline(false).resize(opts.maxSide, opts.maxSide, { fit: 'inside', withoutEnlargement: true }), format).toBuffer({
      resolveWithObject: true,
    }),
  );
  return { bytes: data, type: `image/${format}`, width: info.width, height: info.height };
}

function isDecodedImage(mime: string): boolean {
  return mime in KEPT || CONVERTED.has(mime);
}

interface OpenedImage {
  /** A fresh pipeline over the decoded, upright image: all frames when `animated`, else the first. */
  pipeline(animated: boolean): Sharp;
  hasAlpha: boolean;
  pages: number;
}

/** Reads the header, enforces maxPixels (all frames counted) and returns how to decode. */
async function openImage(bytes: Buffer, sniffed: Sniffed, maxPixels: number): Promise<OpenedImage> {
  if (sniffed.mime === 'image/bmp') return openBmp(bytes, maxPixels);
  // limitInputPixels: false only for the header read: the bound is checked
  // here, with frames counted, and then again by libvips while decoding.
  const meta = await decoding(sniffed, () => sharp(bytes, { limitInputPixels: false }).metadata());
  if (!meta.width || !meta.height) throw unreadable(sniffed);
  const pages = meta.pages ?? 1;
  if (meta.width * meta.height * pages > maxPixels) throw new AppError('IMAGE_TOO_LARGE');
  return {
    pipeline: (animated) => sharp(bytes, { limitInputPixels: maxPixels, animated }).autoOrient(),
    hasAlpha: meta.hasAlpha ?? false,
    pages,
  };
}

function openBmp(bytes: Buffer, maxPixels: number): OpenedImage {
  const size = bmpSize(bytes);
  if (!size) throw new AppError('IMAGE_UNREADABLE');
  if (size.width * size.height > maxPixels) throw new AppError('IMAGE_TOO_LARGE');
  const raw = decodeBmp(bytes);
  if (!raw) throw new AppError('IMAGE_UNREADABLE', 'Only uncompressed 24- and 32-bit BMP images can be read; send a PNG or JPEG.');
  const { pixels, width, height, channels } = raw;
  return { pipeline: () => sharp(pixels, { raw: { width, height, channels } }), hasAlpha: false, pages: 1 };
}

function outputFormat(mime: string, hasAlpha: boolean): Format {
  if (mime in KEPT) return KEPT[mime as keyof typeof KEPT];
  if (mime === 'image/bmp') return 'png';
  return hasAlpha ? 'png' : 'jpeg';
}

function encode(pipeline: Sharp, format: Format): Sharp {
  switch (format) {
    case 'jpeg':
      return pipeline.jpeg({ quality: 85 });
    case 'png':
      return pipeline.png();
    case 'webp':
      return pipeline.webp({ quality: 85 });
    case 'gif':
      return pipeline.gif();
  }
}

function thumbnail(pipeline: Sharp): Promise<Buffer> {
  return pipeline.resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 75 }).toBuffer();
}

/** Runs a sharp step; any failure of the decoder means the bytes are not the image they claim to be. */
async function decoding<T>(sniffed: Sniffed, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw unreadable(sniffed);
  }
}

function unreadable(sniffed: Sniffed): AppError {
  // The bundled libvips decodes AVIF but not HEVC (patents): say so rather than "corrupt".
  if (HEIC.has(sniffed.mime)) return new AppError('IMAGE_UNREADABLE', 'HEIC photos cannot be decoded by this server; send them as JPEG.');
  return new AppError('IMAGE_UNREADABLE');
}
