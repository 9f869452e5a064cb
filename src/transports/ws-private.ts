import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';

/**
 * The one place hubbub reaches past `ws`'s public API, and why:
 *
 * - `ws._socket`, the connection's TCP socket: event frames are built once
 *   per event and written straight to it, so a batch is one write (ws.send
 *   would frame every message again for every socket; see ws-wire.ts).
 * - the socket's `_httpMessage` (Node's http server keeps the response it
 *   last assigned to a socket there): after an upgrade it still points at
 *   the placeholder response and through it the request, several KiB per
 *   idle connection, so it is cleared.
 *
 * Neither is a promise `ws` or Node makes. `assertWsInternals` runs when the
 * WebSocket routes are registered and refuses to start on a `ws` or Node
 * where they are gone, rather than fail on the first connection (or, for
 * `_httpMessage`, quietly cost memory); test/unit/ws-private.test.ts checks
 * the same on every run.
 */
type WithSocket = { _socket?: Duplex & { _httpMessage?: unknown } };

/** The connection's TCP socket (see above). */
export function rawSocket(ws: WebSocket): Duplex {
  const socket = (ws as unknown as WithSocket)._socket;
  if (!socket) throw new Error('ws: the connection has no _socket (see src/transports/ws-private.ts)');
  return socket;
}

/** Lets the upgraded socket forget the placeholder HTTP response (and request) it was assigned. */
export function releaseUpgradeResponse(ws: WebSocket): void {
  const socket = (ws as unknown as WithSocket)._socket;
  if (socket?._httpMessage) socket._httpMessage = null;
}

/**
 * Throws, naming the field, when the installed `ws` (or Node) no longer keeps
 * what this file relies on. `Ws` is the class to check (tests pass a stand-in).
 */
export function assertWsInternals(Ws: typeof WebSocket = WebSocket): void {
  const socket = new net.Socket();
  try {
    // A server-side WebSocket over an unconnected socket: what ws does for an upgrade, with no I/O.
    const ws = new Ws(null as unknown as string, undefined, { autoPong: true });
    const setSocket = (ws as unknown as { setSocket?: (s: Duplex, head: Buffer, o: object) => void }).setSocket;
    if (typeof setSocket !== 'function') throw new Error('ws: WebSocket#setSocket is gone');
    setSocket.call(ws, socket, Buffer.alloc(0), { maxPayload: 1024, skipUTF8Validation: false });
    if ((ws as unknown as WithSocket)._socket !== socket) throw new Error("ws: WebSocket#_socket no longer holds the connection's socket");
    const res = new http.ServerResponse(new http.IncomingMessage(socket));
    res.assignSocket(socket);
    if ((socket as unknown as { _httpMessage?: unknown })._httpMessage !== res)
      throw new Error('node: a socket no longer keeps its response in _httpMessage');
    res.detachSocket(socket);
  } catch (err) {
    throw new Error(
      `hubbub relies on private fields of ws ${wsVersion()} / node ${process.version} that are missing — ${(err as Error).message}. ` +
        'Pin the ws version that worked, or update src/transports/ws-private.ts.',
    );
  } finally {
    socket.destroy();
  }
}

function wsVersion(): string {
  try {
    const path = createRequire(import.meta.url).resolve('ws/package.json');
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return '(version unknown)';
  }
}
