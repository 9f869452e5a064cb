import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type { FileSpec } from './helpers.js';

/** Files and pages for the browser tests, made here so each test says what it feeds the app. */

/** A small landscape (sky, sun, hills) as a PNG: pleasant in screenshots, a real image to the server. */
export async function landscapePng(width = 640, height = 480, name = 'sunset.png'): Promise<FileSpec> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 640 480" preserveAspectRatio="none">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#f97316"/><stop offset="0.6" stop-color="#fbbf24"/><stop offset="1" stop-color="#fde68a"/></linearGradient></defs>
    <rect width="640" height="480" fill="url(#sky)"/>
    <circle cx="430" cy="250" r="70" fill="#fff7ed" opacity="0.9"/>
    <path d="M0 330 Q160 250 320 320 T640 300 V480 H0Z" fill="#7c2d12"/>
    <path d="M0 380 Q200 320 400 390 T640 370 V480 H0Z" fill="#431407"/>
  </svg>`;
  const bytes = await sharp(Buffer.from(svg)).png().toBuffer();
  return { name, type: 'image/png', bytes };
}

/** A minimal, valid one-page PDF. */
export function pdf(name = 'plan.pdf', text = 'Weekend plan'): FileSpec {
  const stream = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return { name, type: 'application/pdf', bytes: Buffer.from(body, 'latin1') };
}

/**
 * A local web site with one Open Graph page, `/trip` (its title carries
 * markup, which must show as text), and its picture. The server fetches it
 * for the link preview (the tests allow private addresses for that).
 */
export async function ogSite(): Promise<{ url: string; close: () => Promise<void> }> {
  const picture = (await landscapePng(1200, 630, 'og.png')).bytes;
  const server = http.createServer((req, res) => {
    if (req.url === '/og.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': picture.length });
      res.end(picture);
      return;
    }
    if (req.url === '/trip') {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head>
        <meta property="og:title" content="&lt;b&gt;Lake&lt;/b&gt; cabin guide">
        <meta property="og:description" content="Trails, the boat house and where to swim: everything for a weekend by the lake.">
        <meta property="og:site_name" content="Cabin Notes">
        <meta property="og:image" content="${base}/og.png">
        <title>Lake cabin guide</title></head><body>Hello</body></html>`);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
