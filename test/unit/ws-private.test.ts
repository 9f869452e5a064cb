import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { describe, expect, it } from 'vitest';
import { assertWsInternals, rawSocket, releaseUpgradeResponse } from '../../src/transports/ws-private.js';
import { textFrame } from '../../src/transports/ws-frame.js';

/**
 * The ws private fields the WebSocket transport writes through, checked on the
 * installed ws and Node: an upgrade that drops them fails here and at boot.
 */
describe('ws internals (src/transports/ws-private.ts)', () => {
  it('the installed ws and Node keep what the transport relies on', () => {
    expect(() => assertWsInternals()).not.toThrow();
  });

  it('fails loudly, naming the field, on a ws without _socket', () => {
    // A ws whose setSocket keeps the socket elsewhere, as a refactored release might.
    const setSocket = (WebSocket.prototype as any).setSocket as (this: WebSocket, ...a: unknown[]) => void;
    class Renamed extends WebSocket {}
    (Renamed.prototype as any).setSocket = function (this: any, ...args: unknown[]) {
      setSocket.apply(this, args);
      this.__socket = this._socket;
      this._socket = undefined;
    };
    expect(() => assertWsInternals(Renamed as unknown as typeof WebSocket)).toThrow(/private fields of ws .*_socket/);
  });

  it('writes straight to the connection and releases the upgrade response', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    const accepted = new Promise<WebSocket>((r) => wss.once('connection', (ws) => r(ws)));
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const got = new Promise<string>((r) => client.once('message', (d) => r(d.toString())));
    const ws = await accepted;
    const socket = rawSocket(ws) as unknown as { _httpMessage?: unknown; write(b: Buffer): void };
    // Behind Fastify the upgraded socket still holds the placeholder response; a bare ws server leaves none.
    socket._httpMessage = { placeholder: true };
    releaseUpgradeResponse(ws);
    expect(socket._httpMessage).toBeNull();
    socket.write(textFrame(Buffer.from('{"hello":1}')));
    expect(await got).toBe('{"hello":1}');
    client.close();
    wss.close();
    server.close();
  });
});
