import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { normalizeBody, normalizeFileName } from '../../src/domain/rules.js';
import { processUpload, reencodeImage, THUMBNAIL_SIDE } from '../../src/files/images.js';
import { bmp24, html, jpegWithGps, png, pngBomb, svgWithScript, tinyPdf } from '../helpers/files.js';

const opts = { maxPixels: 1_000_000 };
const code = (c: string) => expect.objectContaining({ code: c });

describe('processUpload: images are re-encoded', () => {
  test('EXIF and GPS are gone, the orientation is applied, a thumbnail is made', async () => {
    const photo = await jpegWithGps(40, 20);
    const before = await sharp(photo).metadata();
    expect(before.orientation).toBe(6);
    expect(photo.includes('HUBBUB-DATUM')).toBe(true); // the sample really carries GPS
    expect(photo.includes('HubbubPhone')).toBe(true);

    const out = await processUpload(photo, 'holiday.jpg', opts);
    expect(out.type).toBe('image/jpeg');
    expect(out.bytes.includes('HUBBUB-DATUM')).toBe(false);
    expect(out.bytes.includes('HubbubPhone')).toBe(false);
    const after = await sharp(out.bytes).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect([out.width, out.height, after.width, after.height]).toEqual([20, 40, 20, 40]); // turned upright
    const thumb = await sharp(out.thumb!).metadata();
    expect(thumb.format).toBe('webp');
    expect(thumb.exif).toBeUndefined();
  });

  test('the thumbnail fits in 320×320 and keeps the aspect ratio; small images are not enlarged', async () => {
    const big = await processUpload(await png(1000, 500), 'wide.png', { maxPixels: 10_000_000 });
    expect(await sharp(big.thumb!).metadata()).toMatchObject({ width: THUMBNAIL_SIDE, height: 160 });
    const small = await processUpload(await png(30, 10), 'small.png', opts);
    expect(await sharp(small.thumb!).metadata()).toMatchObject({ width: 30, height: 10 });
  });

  test('PNG stays PNG with its transparency; a trailing payload after the image is dropped', async () => {
    const withTail = Buffer.concat([await png(10, 10, 4), Buffer.from('<script>alert(1)</script>')]);
    const out = await processUpload(withTail, 'a.png', opts);
    expect(out.type).toBe('image/png');
    expect(out.bytes.includes('<script>')).toBe(false);
    expect((await sharp(out.bytes).metadata()).hasAlpha).toBe(true);
  });

  test('an animated GIF keeps its frames; every frame counts toward the pixel bound', async () => {
    const frames = await Promise.all(
      [0, 1, 2].map((i) =>
        png(100, 100).then((b) =>
          sharp(b)
            .tint({ r: i * 80, g: 0, b: 0 })
            .png()
            .toBuffer(),
        ),
      ),
    );
    const gif = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
    const out = await processUpload(gif, 'anim.gif', opts);
    expect([out.type, out.width, out.height]).toEqual(['image/gif', 100, 100]);
    expect((await sharp(out.bytes).metadata()).pages).toBe(3);
    await expect(processUpload(gif, 'anim.gif', { maxPixels: 25_000 })).rejects.toThrow(code('IMAGE_TOO_LARGE'));
  });

  test('TIFF becomes JPEG, AVIF with transparency becomes PNG, and the name follows the type', async () => {
    const tiff = await sharp(await png(16, 16))
      .tiff()
      .toBuffer();
    const fromTiff = await processUpload(tiff, 'scan.TIFF', opts);
    expect([fromTiff.type, fromTiff.name]).toEqual(['image/jpeg', 'scan.jpg']);
    const avif = await sharp(await png(16, 16, 4))
      .avif()
      .toBuffer();
    const fromAvif = await processUpload(avif, 'sticker.avif', opts);
    expect([fromAvif.type, fromAvif.name]).toEqual(['image/png', 'sticker.png']);
  });

  test('an uncompressed BMP is decoded and stored as PNG with its pixels', async () => {
    const out = await processUpload(bmp24(5, 3, [10, 200, 30]), 'paint.bmp', opts);
    expect([out.type, out.name, out.width, out.height]).toEqual(['image/png', 'paint.png', 5, 3]);
    const { data } = await sharp(out.bytes).raw().toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 3)]).toEqual([10, 200, 30]);
  });
});

describe('processUpload: bad images are refused before their pixels are decoded', () => {
  test('a decompression bomb (a tiny PNG declaring 100000×100000) → IMAGE_TOO_LARGE', async () => {
    const bomb = pngBomb();
    expect(bomb.length).toBeLessThan(200);
    await expect(processUpload(bomb, 'bomb.png', { maxPixels: 50_000_000 })).rejects.toThrow(code('IMAGE_TOO_LARGE'));
    await expect(reencodeImage(bomb, { maxPixels: 50_000_000, maxSide: 600 })).rejects.toThrow(code('IMAGE_TOO_LARGE'));
  });

  test('a BMP header declaring too many pixels → IMAGE_TOO_LARGE', async () => {
    const lying = bmp24(2, 2, [0, 0, 0]);
    lying.writeInt32LE(100_000, 18);
    lying.writeInt32LE(100_000, 22);
    await expect(processUpload(lying, 'x.bmp', opts)).rejects.toThrow(code('IMAGE_TOO_LARGE'));
  });

  test('corrupt images → IMAGE_UNREADABLE', async () => {
    const good = await jpegWithGps(64, 64);
    const pngMagicThenJunk = Buffer.concat([(await png()).subarray(0, 16), Buffer.from('not the rest of a png at all')]);
    for (const bad of [good.subarray(0, good.length >> 1), pngMagicThenJunk]) {
      await expect(processUpload(bad, 'x.jpg', opts)).rejects.toThrow(code('IMAGE_UNREADABLE'));
    }
    const truncatedBmp = bmp24(10, 10, [1, 2, 3]).subarray(0, 80);
    await expect(processUpload(truncatedBmp, 'x.bmp', opts)).rejects.toThrow(code('IMAGE_UNREADABLE'));
  });

  test('bytes that start like an image must decode as one, even where the type sniffer gives up', async () => {
    const header = (await png(10, 10)).subarray(0, 33); // signature and IHDR
    for (const tail of ['\xff\xff\xff\xffjunkjunk', '\x00\x00\x00\x05IDATx', 'not a chunk at all']) {
      const bad = Buffer.concat([header, Buffer.from(tail, 'latin1')]);
      await expect(processUpload(bad, 'x.bin', opts)).rejects.toThrow(code('IMAGE_UNREADABLE'));
    }
    for (const sig of ['\xff\xd8\xff\xe0garbage', 'GIF89a\x00', 'RIFF\x00\x00\x00\x00WEBPVP8 ']) {
      await expect(processUpload(Buffer.from(sig, 'latin1'), 'x.bin', opts)).rejects.toThrow(code('IMAGE_UNREADABLE'));
    }
  });

  test('zero bytes → FILE_EMPTY', async () => {
    await expect(processUpload(Buffer.alloc(0), 'empty.txt', opts)).rejects.toThrow(code('FILE_EMPTY'));
  });
});

describe('processUpload: everything else is a download with its sniffed type', () => {
  test('a lying extension: a PDF named .png is a PDF, renamed .pdf, never an image', async () => {
    const out = await processUpload(tinyPdf, 'cat.png', opts);
    expect(out).toEqual({ bytes: tinyPdf, type: 'application/pdf', name: 'cat.pdf', width: null, height: null, thumb: null });
  });

  test('a name with a matching or unknown extension is kept; a wrong known one is corrected', async () => {
    const jpeg = await jpegWithGps();
    expect((await processUpload(jpeg, 'photo.jpeg', opts)).name).toBe('photo.jpeg');
    expect((await processUpload(jpeg, 'photo.backup', opts)).name).toBe('photo.backup');
    expect((await processUpload(jpeg, 'photo.webp', opts)).name).toBe('photo.jpg');
  });

  test('an SVG with <script> is kept byte for byte as image/svg+xml, never decoded, no thumbnail', async () => {
    const out = await processUpload(svgWithScript, 'logo.svg', opts);
    expect(out).toEqual({ bytes: svgWithScript, type: 'image/svg+xml', name: 'logo.svg', width: null, height: null, thumb: null });
    const bare = Buffer.from('\n  <!-- drawn by hand --><svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>');
    expect((await processUpload(bare, 'x.txt', opts)).type).toBe('image/svg+xml');
    await expect(reencodeImage(svgWithScript, { maxPixels: 1000, maxSide: 100 })).rejects.toThrow(code('IMAGE_UNREADABLE'));
  });

  test('HTML and unknown bytes are application/octet-stream with their name kept', async () => {
    const out = await processUpload(html, 'page.html', opts);
    expect([out.type, out.name, out.thumb]).toEqual(['application/octet-stream', 'page.html', null]);
    expect(out.bytes).toBe(html);
  });
});

describe('reencodeImage (link-preview images)', () => {
  test('fits within maxSide, strips metadata, JPEG or PNG', async () => {
    const out = await reencodeImage(await jpegWithGps(400, 200), { maxPixels: 1_000_000, maxSide: 100 });
    expect([out.type, out.width, out.height]).toEqual(['image/jpeg', 50, 100]);
    expect(out.bytes.includes('HUBBUB-DATUM')).toBe(false);
    const alpha = await reencodeImage(await png(20, 20, 4), { maxPixels: 1_000_000, maxSide: 100 });
    expect([alpha.type, alpha.width]).toEqual(['image/png', 20]);
    await expect(reencodeImage(tinyPdf, { maxPixels: 1000, maxSide: 100 })).rejects.toThrow(code('IMAGE_UNREADABLE'));
  });
});

describe('normalizeFileName', () => {
  test('keeps only the last path segment', () => {
    expect(normalizeFileName('../../etc/passwd')).toBe('passwd');
    expect(normalizeFileName('C:\\Users\\me\\report.pdf')).toBe('report.pdf');
    expect(normalizeFileName('/')).toBe('file');
    expect(normalizeFileName('..')).toBe('file');
  });
  test('drops control and direction characters, outer spaces and dots', () => {
    expect(normalizeFileName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(normalizeFileName('a\u0000b\nc\u200B.txt')).toBe('abc.txt');
    expect(normalizeFileName('  notes.txt. ')).toBe('notes.txt');
    expect(normalizeFileName('\u2066\u2069')).toBe('file');
    expect(normalizeFileName('')).toBe('file');
  });
  test('at most 255 UTF-8 bytes, whole characters, the extension kept', () => {
    const cut = normalizeFileName(`${'消'.repeat(200)}.jpeg`);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(255);
    expect(cut).toBe(`${'消'.repeat(83)}.jpeg`);
    expect(normalizeFileName('x'.repeat(100_000))).toBe('x'.repeat(255));
    expect(normalizeFileName('中文名字.pdf')).toBe('中文名字.pdf');
  });
});

describe('normalizeBody with files', () => {
  test('an empty body is allowed only when the message carries files', () => {
    expect(normalizeBody('  ', { allowEmpty: true })).toBe('');
    expect(() => normalizeBody('  ')).toThrow(code('BODY_EMPTY'));
    expect(() => normalizeBody('x'.repeat(4001), { allowEmpty: true })).toThrow(code('BODY_TOO_LONG'));
  });
});
