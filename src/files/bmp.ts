/**
 * The BMP files people actually send (Paint, screenshots on Windows): 24- or
 * 32-bit uncompressed, bottom-up or top-down. libvips as bundled with sharp
 * has no BMP loader, so these are turned into raw pixels for sharp to encode;
 * any other BMP variant returns null and is refused as unreadable. Alpha is
 * dropped (see decodeBmp).
 */
export interface RawImage {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 3;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;

/** Width and height from the header without touching the pixels, or null when this is no BMP we read. */
export function bmpSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 54 || bytes.toString('latin1', 0, 2) !== 'BM') return null;
  if (bytes.readUInt32LE(14) < 40) return null; // OS/2 headers: not worth a code path
  const width = bytes.readInt32LE(18);
  const height = Math.abs(bytes.readInt32LE(22));
  if (width <= 0 || height <= 0) return null;
  return { width, height };
}

/** Decodes a 24/32-bit uncompressed BMP; `maxPixels` has been checked against bmpSize by the caller. */
export function decodeBmp(bytes: Buffer): RawImage | null {
  const size = bmpSize(bytes);
  if (!size) return null;
  const { width, height } = size;
  const topDown = bytes.readInt32LE(22) < 0;
  const bits = bytes.readUInt16LE(28);
  const compression = bytes.readUInt32LE(30);
  const offset = bytes.readUInt32LE(10);
  const plain = compression === BI_RGB || (compression === BI_BITFIELDS && bits === 32 && standardMasks(bytes));
  if ((bits !== 24 && bits !== 32) || !plain) return null;
  const bytesPerPixel = bits / 8;
  const stride = Math.ceil((width * bytesPerPixel) / 4) * 4;
  if (offset + stride * height > bytes.length) return null;
  // The fourth byte of a 32-bit BMP is mostly "reserved" and 0, not alpha: read as opaque.
  const channels = 3;
  const pixels = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const src = row + x * bytesPerPixel;
      const dst = (y * width + x) * channels;
      pixels[dst] = bytes[src + 2]; // BMP stores BGR(A)
      pixels[dst + 1] = bytes[src + 1];
      pixels[dst + 2] = bytes[src];
    }
  }
  return { pixels, width, height, channels };
}

/** BITFIELDS with the usual BGRA masks is the same layout as BI_RGB. */
function standardMasks(bytes: Buffer): boolean {
  if (bytes.length < 66) return false;
  return bytes.readUInt32LE(54) === 0x00ff0000 && bytes.readUInt32LE(58) === 0x0000ff00 && bytes.readUInt32LE(62) === 0x000000ff;
}
