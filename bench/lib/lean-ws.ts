import { randomBytes } from 'node:crypto';
import net from 'node:net';

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * A receive-mostly WebSocket client (RFC 6455) for the load generator's
 * subscribers: the upgrade handshake, unmasked server frames parsed in place,
 * pings answered, close handshake answered. It exists because with 5,000–15,000
 * subscribers on the generator's one core, the `ws` client's per-frame cost
 * (a Receiver state machine, an 'message' event, a Buffer copy per frame) made
 * the generator, not the server under test, the bottleneck. It is used for the
 * subscribers of every server alike (hubbub and the raw ws baseline); senders
 * keep the `ws` client. The bytes on the wire are the same as with `ws`
 * (no extensions offered, as with perMessageDeflate: false).
 */
export interface LeanWsHandlers {
  onText(data: Buffer): void;
  /** Once, with the close code (1006 when the connection dropped without a close frame). */
  onClose(code: number): void;
}

export class LeanWs {
  private buf: Buffer | null = null;
  private closed = false;
  private closeCode = 1006;

  // Handlers come with connect(): frames that arrive with the 101 are parsed before connect() resolves.
  private constructor(
    readonly socket: net.Socket,
    private readonly on: LeanWsHandlers,
  ) {}

  /** Resolves once the server answered 101; rejects with the status and body otherwise. */
  static connect(
    o: { host: string; port: number; path: string; headers: Record<string, string>; localAddress?: string; timeoutMs?: number },
    on: LeanWsHandlers,
  ): Promise<LeanWs> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress });
      socket.setNoDelay(true);
      let head: Buffer | null = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error('handshake timeout')), o.timeoutMs ?? 30_000);
      const fail = (err: Error) => {
        if (head === null) return;
        head = null;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.on('error', fail);
      socket.on('close', () => fail(new Error('closed during the handshake')));
      socket.on('connect', () => {
        let req =
          `GET ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`;
        for (const [k, v] of Object.entries(o.headers)) req += `${k}: ${v}\r\n`;
        socket.write(req + '\r\n');
      });
      const onHandshake = (chunk: Buffer) => {
        if (head === null) return;
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf(HEAD_END);
        if (end < 0) return;
        const status = Number(head.toString('latin1', 9, 12));
        if (status !== 101) {
          // Wait for the refusal's body (the server ends the response), for the error message.
          const text = head.toString('utf8');
          socket.once('end', () => fail(new Error(`ws upgrade refused: ${status} ${text.slice(end + 4, end + 204)}`)));
          socket.removeListener('data', onHandshake);
          socket.on('data', (more: Buffer) => {
            head = head && Buffer.concat([head, more]);
          });
          return;
        }
        const rest = head.subarray(end + 4);
        head = null;
        clearTimeout(timer);
        socket.removeListener('data', onHandshake);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        const ws = new LeanWs(socket, on);
        socket.on('data', (c: Buffer) => ws.onData(c));
        socket.on('error', () => undefined);
        socket.on('close', () => ws.finish());
        resolve(ws);
        if (rest.length > 0) ws.onData(rest);
      };
      socket.on('data', onHandshake);
    });
  }

  /** Drops the connection at once, no close frame (like ws.terminate()). */
  terminate(): void {
    this.socket.destroy();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.on.onClose(this.closeCode);
  }

  private onData(chunk: Buffer): void {
    const b: Buffer = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    let at = 0;
    while (b.length - at >= 2) {
      const op = b[at]! & 0x0f;
      const b1 = b[at + 1]!;
      if (b1 & 0x80) return this.protocolError(); // servers never mask
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (b.length - at < 4) break;
        len = b.readUInt16BE(at + 2);
        hdr = 4;
      } else if (len === 127) {
        if (b.length - at < 10) break;
        len = b.readUInt32BE(at + 6);
        hdr = 10;
      }
      if (b.length - at < hdr + len) break;
      const payload = b.subarray(at + hdr, at + hdr + len);
      at += hdr + len;
      if (op === 1) this.on.onText(payload);
      else if (op === 9)
        this.control(0x8a, payload); // ping → pong
      else if (op === 8) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.control(0x88, payload.subarray(0, 2));
        this.socket.end();
      }
    }
    this.buf = at < b.length ? b.subarray(at) : null;
    if (this.buf && this.buf.length > 16 * 1024 * 1024) this.protocolError();
  }

  /** A masked control frame (client frames must be masked). */
  private control(firstByte: number, payload: Buffer): void {
    if (this.socket.destroyed) return;
    const frame = Buffer.alloc(6 + payload.length);
    frame[0] = firstByte;
    frame[1] = 0x80 | payload.length;
    randomBytes(4).copy(frame, 2);
    for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ frame[2 + (i & 3)]!;
    this.socket.write(frame);
  }

  private protocolError(): void {
    this.closeCode = 1002;
    this.socket.destroy();
  }
}
