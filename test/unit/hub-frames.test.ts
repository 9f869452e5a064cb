import { describe, expect, it } from 'vitest';
import { parseClientFrame } from '../../src/transports/frames.js';

/** The WebSocket request parser, fed raw frames with no socket. */
describe('parseClientFrame', () => {
  const ok = (v: unknown) => parseClientFrame(Buffer.from(JSON.stringify(v)), false);

  it('accepts each frame type with exactly its fields', () => {
    expect(ok({ type: 'ping', ref: 'a' })).toEqual({ ok: true, frame: { type: 'ping', ref: 'a' } });
    expect(ok({ type: 'send', ref: 'a', conversationId: '1', body: 'hi' }).ok).toBe(true);
    expect(ok({ type: 'send', ref: 'a', conversationId: '1', body: 'hi', clientMsgId: 'x' }).ok).toBe(true);
    expect(ok({ type: 'typing', ref: 'a', conversationId: '1' }).ok).toBe(true);
    expect(ok({ type: 'read', ref: 'a', conversationId: '1', upTo: '9' }).ok).toBe(true);
  });

  it.each([
    ['binary', Buffer.from([1, 2, 3]), true, 'BINARY_FRAME', null],
    ['not JSON', Buffer.from('{nope'), false, 'INVALID_JSON', null],
    ['not an object', Buffer.from('"ping"'), false, 'VALIDATION_FAILED', null],
    ['null', Buffer.from('null'), false, 'VALIDATION_FAILED', null],
    ['unknown type', Buffer.from('{"type":"shout","ref":"r"}'), false, 'UNKNOWN_FRAME_TYPE', 'r'],
    ['prototype key as type', Buffer.from('{"type":"constructor","ref":"r"}'), false, 'UNKNOWN_FRAME_TYPE', 'r'],
    ['missing ref', Buffer.from('{"type":"ping"}'), false, 'VALIDATION_FAILED', null],
    ['empty ref', Buffer.from('{"type":"ping","ref":""}'), false, 'VALIDATION_FAILED', null],
    ['numeric ref', Buffer.from('{"type":"ping","ref":5}'), false, 'VALIDATION_FAILED', null],
    ['unknown field', Buffer.from('{"type":"ping","ref":"r","x":1}'), false, 'VALIDATION_FAILED', 'r'],
    ['wrong type', Buffer.from('{"type":"read","ref":"r","conversationId":"1","upTo":9}'), false, 'VALIDATION_FAILED', 'r'],
    ['missing field', Buffer.from('{"type":"typing","ref":"r"}'), false, 'VALIDATION_FAILED', 'r'],
    [
      'empty clientMsgId',
      Buffer.from('{"type":"send","ref":"r","conversationId":"1","body":"b","clientMsgId":""}'),
      false,
      'VALIDATION_FAILED',
      'r',
    ],
  ] as const)('refuses %s', (_name, data, binary, code, ref) => {
    const r = parseClientFrame(data, binary);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.ref).toBe(ref);
    }
  });

  it('bounds every string', () => {
    expect(ok({ type: 'send', ref: 'r', conversationId: '1', body: 'b'.repeat(20_001) }).ok).toBe(false);
    expect(ok({ type: 'send', ref: 'r', conversationId: '1'.repeat(21), body: 'b' }).ok).toBe(false);
    expect(ok({ type: 'send', ref: 'r', conversationId: '1', body: 'b', clientMsgId: 'c'.repeat(65) }).ok).toBe(false);
    expect(ok({ type: 'ping', ref: 'r'.repeat(64) }).ok).toBe(true);
  });
});
