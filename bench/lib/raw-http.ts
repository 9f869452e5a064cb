import net from 'node:net';
import { socketBytes } from './util.js';

export interface RawResponse {
  status: number;
  body: Buffer;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One HTTP/1.1 keep-alive connection that sends requests written by the
 * caller, one at a time, and reads responses framed by Content-Length. It is
 * what a load generator needs and nothing more: Node's http client costs
 * several times the CPU per request (a ClientRequest, an IncomingMessage and
 * agent bookkeeping each time), and with 5,000 pollers on one core the
 * generator, not the server, set the pace. The bytes on the wire are exactly
 * what the caller writes — callers reproduce Node's header order so byte
 * counts do not change.
 */
export class RawHttpConn {
  private sock: net.Socket | null = null;
  private buf: Buffer | null = null;
  private pending: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | null = null;
  private readonly sockets: net.Socket[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly localAddress?: string,
  ) {}

  /** Writes `head` (request line, headers, blank line; no body) and resolves with the response. */
  request(head: string): Promise<RawResponse> {
    if (this.pending) return Promise.reject(new Error('a request is already in flight'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      const s = this.sock ?? this.open();
      s.write(head);
    });
  }

  destroy(): void {
    this.sock?.destroy();
  }

  bytes(): { read: number; written: number } {
    return socketBytes(this.sockets);
  }

  private open(): net.Socket {
    const s = net.connect({ host: this.host, port: this.port, localAddress: this.localAddress });
    s.setNoDelay(true);
    this.sockets.push(s);
    this.sock = s;
    this.buf = null;
    s.on('data', (c: Buffer) => this.onData(c));
    const fail = (err: Error) => {
      if (this.sock === s) {
        this.sock = null;
        this.buf = null;
      }
      const p = this.pending;
      this.pending = null;
      p?.reject(err);
    };
    s.on('error', fail);
    s.on('close', () => fail(new Error('connection closed')));
    return s;
  }

  private onData(chunk: Buffer): void {
    let b: Buffer = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const end = b.indexOf(HEAD_END);
      if (end < 0) break;
      const head = b.toString('latin1', 0, end).toLowerCase();
      const status = Number(head.slice(9, 12));
      const at = head.indexOf('\r\ncontent-length:');
      if (at < 0) {
        this.sock?.destroy(new Error('response without content-length'));
        return;
      }
      const eol = head.indexOf('\r\n', at + 2);
      const len = Number(head.slice(at + 17, eol < 0 ? head.length : eol).trim());
      const total = end + 4 + len;
      if (b.length < total) break;
      const body = b.subarray(end + 4, total);
      b = b.subarray(total);
      const p = this.pending;
      this.pending = null;
      p?.resolve({ status, body });
      if (b.length === 0) break;
    }
    this.buf = b.length > 0 ? b : null;
  }
}
