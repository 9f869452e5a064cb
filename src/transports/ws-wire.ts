import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { closeCodeFor, type ErrorCode } from '../domain/errors.js';
import { entryBytes, type LogEntry } from '../hub/event-log.js';
import type { Wire } from '../hub/ports.js';
import { CLOSE_GRACE_MS } from './streams.js';
import { textFrame } from './ws-frame.js';
import { rawSocket } from './ws-private.js';

/**
 * The catalog's close code, except for protocol abuse, which gets the
 * standard "policy violation" (RFC 6455 §7.4.1) rather than a hubbub code.
 */
export function wsCloseCode(code: ErrorCode): number {
  return code === 'TOO_MANY_BAD_FRAMES' ? 1008 : closeCodeFor(code);
}

/** An entry's WebSocket text frame, framed once and shared by every socket. */
export function wsEntryFrame(e: LogEntry): Buffer {
  return (e.ws ??= textFrame(entryBytes(e)));
}

/**
 * WebSocket frames for a session. Frames are made by `textFrame` (events once
 * per entry, see ws-frame.ts) and written straight to the connection's TCP
 * socket, so a batch of frames is one write. ws itself still owns the socket's
 * reading side, pings and the close handshake; its sender writes to the same
 * socket synchronously (permessage-deflate is off), so order is kept.
 */
export class WsWire implements Wire {
  readonly kind = 'ws';
  private closeTimer: NodeJS.Timeout | null = null;
  // ES-private: a subclass's own `socket` field cannot shadow it.
  readonly #socket: Duplex;

  constructor(private readonly ws: WebSocket) {
    this.#socket = rawSocket(ws);
    ws.once('close', () => {
      if (this.closeTimer) clearTimeout(this.closeTimer);
    });
  }

  encode(e: LogEntry): Buffer {
    return wsEntryFrame(e);
  }

  encodeFrame(json: string): Buffer {
    return textFrame(Buffer.from(json));
  }

  write(data: Buffer, done: () => void): void {
    // Once a close frame went either way, data frames may not follow it (RFC 6455 §5.5.1).
    if (this.ws.readyState !== this.ws.OPEN || this.#socket.destroyed) return done();
    // `done` itself, not a closure per write (a fan-out is one write per socket); it ignores the error argument.
    this.#socket.write(data, done);
  }

  end(code: ErrorCode): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.close(wsCloseCode(code), code);
    // A peer that never reads again will not answer the handshake either.
    this.closeTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
  }
}
