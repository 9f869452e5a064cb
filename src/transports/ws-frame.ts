/**
 * Server-to-client WebSocket text frames (RFC 6455 §5.2), built once and
 * written as they are. A server frame is never masked and, with
 * permessage-deflate off, never transformed, so a frame made for one
 * connection is byte-for-byte the frame for every connection: a fan-out
 * frames each event once instead of once per socket (ws's `send` frames per
 * call), and several frames for one socket go out in a single write.
 */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81; // FIN + opcode 1 (text)
  if (head === 2) frame[1] = n;
  else if (head === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(0, 2); // payloads are far below 4 GiB
    frame.writeUInt32BE(n, 6);
  }
  payload.copy(frame, head);
  return frame;
}
