import http from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { NetGuard, PinnedTarget } from './net-guard.js';

/**
 * One GET through the SSRF guard: every hop (the first URL and each
 * redirect) is resolved and checked by the guard, and the connection goes to
 * the address it checked. No connection pooling (a pooled socket would skip
 * the check of the next request's address).
 */

/** Sent with every server-side fetch, so a site can tell (and block) hubbub's preview bot. */
export const USER_AGENT = 'hubbub-link-preview/1 (+https://github.com/hubbub-chat/hubbub)';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface GuardedResponse {
  /** After redirects. */
  url: URL;
  status: number;
  /** Lower-cased MIME type without parameters ('' when absent). */
  type: string;
  charset: string | null;
  /** The body, decompressed when the server compressed it. */
  body: Readable;
}

export interface GuardedGetOptions {
  guard: NetGuard;
  /** Aborts the lookups, the connection and the body: the caller's one deadline for everything. */
  signal: AbortSignal;
  accept: string;
  maxRedirects: number;
}

/** A fetch that went wrong in a way worth a debug line (not a refusal by the guard: that is BlockedError). */
export class FetchError extends Error {
  override name = 'FetchError';
}

export async function guardedGet(raw: string | URL, opts: GuardedGetOptions): Promise<GuardedResponse> {
  let url = opts.guard.parse(raw);
  for (let hop = 0; ; hop++) {
    const target = await opts.guard.resolve(url, opts.signal);
    const res = await requestOnce(target, opts);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (REDIRECTS.has(status) && location) {
      res.destroy();
      if (hop >= opts.maxRedirects) throw new FetchError(`more than ${opts.maxRedirects} redirects`);
      url = nextUrl(location, url);
      continue;
    }
    const [type, ...params] = (res.headers['content-type'] ?? '').split(';');
    const charset = params.map((p) => /^\s*charset\s*=\s*"?([^";\s]+)/i.exec(p)?.[1]).find(Boolean) ?? null;
    return { url, status, type: type.trim().toLowerCase(), charset, body: decoded(res) };
  }
}

function nextUrl(location: string, from: URL): URL {
  try {
    return new URL(location, from);
  } catch {
    throw new FetchError('a redirect to an unreadable location');
  }
}

function requestOnce(t: PinnedTarget, opts: GuardedGetOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      host: t.address,
      family: t.family,
      port: t.port,
      method: 'GET',
      path: t.url.pathname + t.url.search,
      headers: { host: t.url.host, 'user-agent': USER_AGENT, accept: opts.accept, 'accept-encoding': 'gzip, deflate, br' },
      agent: false,
      signal: opts.signal,
    };
    if (t.servername) options.servername = t.servername;
    const req = (t.url.protocol === 'https:' ? https : http).request(options, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** The body with its Content-Encoding undone (the caller bounds what it reads of the result, so a bomb stops there). */
function decoded(res: http.IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : null;
  if (!decoder) return res;
  return pipeline(res, decoder, () => undefined);
}

/**
 * Reads at most `maxBytes` of `body`, then closes it (`truncated`). Stops
 * early, closing it too, once `stop` holds for the bytes just read (with a
 * few bytes of the chunk before, so a marker split across chunks is seen).
 */
export async function readBounded(
  body: Readable,
  maxBytes: number,
  stop?: (recent: Buffer) => boolean,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tail = Buffer.alloc(0);
  for await (const chunk of body) {
    const c = chunk as Buffer;
    const part = c.length > maxBytes - size ? c.subarray(0, maxBytes - size) : c;
    chunks.push(part);
    size += part.length;
    if (size >= maxBytes) return { bytes: Buffer.concat(chunks), truncated: true };
    if (stop) {
      const recent = Buffer.concat([tail, part]);
      if (stop(recent)) return { bytes: Buffer.concat(chunks), truncated: false };
      tail = recent.subarray(Math.max(0, recent.length - 16));
    }
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}
