import { describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { textFrame } from '../../src/transports/ws-frame.js';

// ws's frame parser; exported by the package, though its type definitions leave it out.
type ReceiverLike = { on(event: string, fn: (...args: never[]) => void): void; write(b: Buffer): void };
const Receiver = (wsModule as unknown as { Receiver: new (o: object) => ReceiverLike }).Receiver;

/** Feeds bytes to ws's own client-side parser and returns the text messages it saw. */
function parse(bytes: Buffer): string[] {
  const out: string[] = [];
  const r = new Receiver({ isServer: false, maxPayload: 0 });
  r.on('message', (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    out.push(data.toString());
  });
  r.on('error', (err: Error) => {
    throw err;
  });
  r.write(bytes);
  return out;
}

describe('textFrame: server frames built once and shared', () => {
  it.each([0, 1, 125, 126, 127, 65_535, 65_536, 200_000])('a %i-byte payload parses as one text message', (n) => {
    const body = 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2);
    const payload = Buffer.from(body);
    expect(payload.length).toBe(n);
    expect(parse(textFrame(payload))).toEqual([body]);
  });

  it('frames concatenated into one write arrive as separate messages, in order', () => {
    const msgs = ['{"a":1}', 'x'.repeat(300), '', '{"z":"終"}'];
    expect(parse(Buffer.concat(msgs.map((m) => textFrame(Buffer.from(m)))))).toEqual(msgs);
  });
});
