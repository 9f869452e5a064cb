import WebSocket from 'ws';
import type { Server } from '../../src/server.js';
import { SseParser, type SseRecord } from '../../client/sse-parser.js';

/** Listens on an ephemeral port (or `port`) and returns the base URL. */
export async function listen(server: Server, port = 0): Promise<{ port: number; baseUrl: string }> {
  await server.app.listen({ port, host: '127.0.0.1' });
  const addr = server.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return { port: addr.port, baseUrl: `http://127.0.0.1:${addr.port}` };
}

/** Resolves once `cond()` holds, checking every few ms; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw WebSocket client that records every text frame it receives, parsed. */
export class RawWs {
  readonly frames: any[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  closeInfo: { code: number; reason: string } | null = null;
  unexpected: number | null = null;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(data.toString()));
    });
    this.ws.on('error', (err) => {
      const m = /Unexpected server response: (\d+)/.exec(err.message);
      if (m) this.unexpected = Number(m[1]);
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('close', () => reject(new Error('closed before open')));
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
      }),
    );
  }

  static bearer(baseUrl: string, token: string, query = ''): RawWs {
    return new RawWs(baseUrl.replace(/^http/, 'ws') + '/api/v1/ws' + query, { authorization: `Bearer ${token}` });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Waits for the first frame after index `from` matching `pred`. */
  async next(pred: (f: any) => boolean, what = 'a frame', from = 0, timeoutMs = 10_000): Promise<any> {
    let found: any;
    await waitFor(() => (found = this.frames.slice(from).find(pred)) !== undefined, what, timeoutMs);
    return found;
  }

  /** Sends a request frame and waits for the ack or error carrying its ref. */
  async request(frame: Record<string, unknown> & { ref: string }): Promise<any> {
    const from = this.frames.length;
    this.send(frame);
    return this.next((f) => (f.type === 'ack' || f.type === 'error') && f.ref === frame.ref, `reply to ${frame.ref}`, from);
  }

  events(): any[] {
    return this.frames.filter((f) => typeof f.cursor === 'string' && f.type !== 'hello');
  }
}

/** A raw SSE reader over fetch that records every record. */
export class RawSse {
  readonly records: SseRecord[] = [];
  readonly abort = new AbortController();
  status = 0;
  ended = false;
  readonly done: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.done = this.run(url, headers);
  }

  static bearer(baseUrl: string, token: string, query = '', headers: Record<string, string> = {}): RawSse {
    return new RawSse(baseUrl + '/api/v1/events' + query, { authorization: `Bearer ${token}`, ...headers });
  }

  private async run(url: string, headers: Record<string, string>): Promise<void> {
    try {
      const res = await fetch(url, { headers, signal: this.abort.signal });
      this.status = res.status;
      if (!res.body) return;
      const parser = new SseParser((r) => this.records.push(r));
      const dec = new TextDecoder();
      const reader = res.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(dec.decode(value, { stream: true }));
      }
    } catch {
      // aborted
    } finally {
      this.ended = true;
    }
  }

  events(): any[] {
    return this.records.filter((r) => r.event === 'message' && r.id !== null).map((r) => JSON.parse(r.data));
  }

  signals(): any[] {
    return this.records.filter((r) => r.event === 'message' && r.id === null).map((r) => JSON.parse(r.data));
  }

  close(): void {
    this.abort.abort();
  }
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A small deterministic PRNG (mulberry32), so a failing chaos run can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
