import { fileTypeFromBuffer, supportedExtensions } from 'file-type';

/** What the bytes are, whatever the name or the Content-Type header said. */
export interface Sniffed {
  mime: string;
  /** The usual extension, without the dot. */
  ext: string;
}

export const UNKNOWN_TYPE = 'application/octet-stream';

/**
 * Identifies a file from its first bytes: file-type's magic numbers, plus SVG,
 * which file-type does not report (it is text: an optional XML declaration,
 * comments and doctype, then `<svg`). SVG matters because it can carry script;
 * see images.ts for what is done with it. Null when unknown (text, HTML, …).
 */
export async function sniffType(bytes: Buffer): Promise<Sniffed | null> {
  if (looksLikeSvg(bytes)) return { mime: 'image/svg+xml', ext: 'svg' };
  const found = await fileTypeFromBuffer(bytes).catch(() => undefined);
  return found ? { mime: found.mime, ext: found.ext } : imageSignature(bytes);
}

/**
 * The signatures of the images browsers show, checked when file-type gives up
 * (it walks a PNG's chunks, and a corrupt one defeats it): bytes that start
 * like an image are an image, and then must decode as one (IMAGE_UNREADABLE)
 * rather than slip through as an unknown download.
 */
function imageSignature(bytes: Buffer): Sniffed | null {
  const starts = (sig: string, at = 0) => bytes.subarray(at, at + sig.length).equals(Buffer.from(sig, 'latin1'));
  if (starts('\x89PNG\r\n\x1a\n')) return { mime: 'image/png', ext: 'png' };
  if (starts('\xff\xd8\xff')) return { mime: 'image/jpeg', ext: 'jpg' };
  if (starts('GIF87a') || starts('GIF89a')) return { mime: 'image/gif', ext: 'gif' };
  if (starts('RIFF') && starts('WEBP', 8)) return { mime: 'image/webp', ext: 'webp' };
  return null;
}

/** Prolog an SVG may start with: BOM, spaces, `<?xml …?>`, `<!-- … -->`, `<!DOCTYPE …>`. */
const SVG_START = /^(?:\uFEFF)?(?:\s|<\?xml[^>]*\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>)*<svg[\s>/]/i;

function looksLikeSvg(bytes: Buffer): boolean {
  // The prolog is short in any real file; 4 KiB bounds the work on a hostile one.
  return SVG_START.test(bytes.subarray(0, 4096).toString('utf8'));
}

/** Spellings of one format's extension that are not a lie. */
const SAME_EXT: Record<string, string[]> = { jpg: ['jpeg', 'jpe', 'jfif'], tif: ['tiff'], heic: ['heif'], mp4: ['m4v'] };

/**
 * The name to offer for bytes of a known type: when the name's extension is
 * one file-type recognises but names another format (a PDF called
 * "photo.png", a HEIC re-encoded to JPEG), it is replaced by the true one so
 * the downloaded file opens with the right program. Names with no extension
 * or one file-type does not know (".txt", ".html") are left alone.
 */
export function nameForType(name: string, ext: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return name;
  const given = name.slice(dot + 1).toLowerCase();
  if (given === ext || SAME_EXT[ext]?.includes(given)) return name;
  const known = supportedExtensions.has(given as never) || Object.values(SAME_EXT).some((alts) => alts.includes(given));
  return known ? `${name.slice(0, dot)}.${ext}` : name;
}
