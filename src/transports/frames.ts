import { AppError } from '../domain/errors.js';

/** What a WebSocket client may send. Each frame carries the client's `ref`, echoed in its ack or error. */
export type ClientFrame =
  | {
      type: 'send';
      ref: string;
      conversationId: string;
      /** May be absent when attachments are sent (one of the two is required). */
      body?: string;
      clientMsgId?: string;
      replyTo?: string;
      /** Ids of uploaded files (POST …/attachments) to send with the message. */
      attachments?: string[];
    }
  | { type: 'edit'; ref: string; messageId: string; body: string }
  | { type: 'delete'; ref: string; messageId: string }
  | { type: 'react'; ref: string; messageId: string; emoji: string; on: boolean }
  | { type: 'typing'; ref: string; conversationId: string }
  | { type: 'read'; ref: string; conversationId: string; upTo: string }
  | { type: 'ping'; ref: string };

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; ref: string | null; error: AppError };

/** A string of min–max characters, (`flag`) a boolean, or (`list`) an optional array of up to maxItems such strings. */
type Field = { min: number; max: number; optional?: true } | { flag: true } | { list: { min: number; max: number }; maxItems: number };

const ID = { min: 1, max: 20 } as const;
const BODY = { min: 0, max: 20_000 } as const;

/** The fields of each frame type besides `type` and `ref`; anything else is refused. */
const SHAPES: Record<ClientFrame['type'], Record<string, Field>> = {
  // How many attachments a message may carry (10: TOO_MANY_ATTACHMENTS) is the domain's rule; the frame bounds the size.
  send: {
    conversationId: ID,
    body: { ...BODY, optional: true },
    clientMsgId: { min: 1, max: 64, optional: true },
    replyTo: { ...ID, optional: true },
    attachments: { list: ID, maxItems: 100 },
  },
  edit: { messageId: ID, body: BODY },
  delete: { messageId: ID },
  // The emoji's own rule (one emoji, INVALID_EMOJI) is the domain's; the frame only bounds its size.
  react: { messageId: ID, emoji: { min: 1, max: 64 }, on: { flag: true } },
  typing: { conversationId: ID },
  read: { conversationId: { min: 1, max: 20 }, upTo: { min: 1, max: 20 } },
  ping: {},
};

export const MAX_REF = 64;

const fail = (
  ref: string | null,
  code: 'INVALID_JSON' | 'VALIDATION_FAILED' | 'UNKNOWN_FRAME_TYPE' | 'BINARY_FRAME',
  message?: string,
): ParsedFrame => ({ ok: false, ref, error: new AppError(code, message) });

/**
 * Checks one client frame without touching any state: JSON text, an object,
 * a known `type`, a string `ref` of 1–64 characters, exactly the fields of
 * that type with the right types and lengths. (Body rules — trimming, 4000
 * characters — and emoji rules are the domain's, applied when the request runs.)
 */
export function parseClientFrame(data: Buffer | string, isBinary: boolean): ParsedFrame {
  if (isBinary) return fail(null, 'BINARY_FRAME');
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return fail(null, 'INVALID_JSON', 'The frame is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail(null, 'VALIDATION_FAILED', 'A frame is a JSON object.');
  const obj = value as Record<string, unknown>;
  const ref = typeof obj.ref === 'string' && obj.ref.length > 0 && obj.ref.length <= MAX_REF ? obj.ref : null;
  const type = obj.type;
  if (typeof type !== 'string' || !Object.hasOwn(SHAPES, type)) return fail(ref, 'UNKNOWN_FRAME_TYPE');
  if (ref === null) return fail(null, 'VALIDATION_FAILED', `Every frame needs a string "ref" of 1–${MAX_REF} characters.`);
  const shape = SHAPES[type as ClientFrame['type']];
  for (const key of Object.keys(obj)) {
    if (key !== 'type' && key !== 'ref' && !Object.hasOwn(shape, key))
      return fail(ref, 'VALIDATION_FAILED', `Unknown field "${key.slice(0, 40)}" in a ${type} frame.`);
  }
  for (const [key, f] of Object.entries(shape)) {
    const v = obj[key];
    if ('flag' in f) {
      if (typeof v !== 'boolean') return fail(ref, 'VALIDATION_FAILED', `"${key}" must be true or false.`);
      continue;
    }
    if ('list' in f) {
      const { min, max } = f.list;
      const ok =
        v === undefined ||
        (Array.isArray(v) && v.length <= f.maxItems && v.every((x) => typeof x === 'string' && x.length >= min && x.length <= max));
      if (!ok)
        return fail(ref, 'VALIDATION_FAILED', `"${key}" must be a list of at most ${f.maxItems} strings of ${min}–${max} characters.`);
      continue;
    }
    if (v === undefined && f.optional) continue;
    if (typeof v !== 'string' || v.length < f.min || v.length > f.max) {
      return fail(ref, 'VALIDATION_FAILED', `"${key}" must be a string of ${f.min}–${f.max} characters.`);
    }
  }
  // As over HTTP: a send names a body, files, or both.
  if (type === 'send' && obj.body === undefined && obj.attachments === undefined) {
    return fail(ref, 'VALIDATION_FAILED', 'A send frame needs "body", "attachments" or both.');
  }
  return { ok: true, frame: obj as unknown as ClientFrame };
}
