import { describe, expect, test } from 'vitest';
import {
  forgetOthers,
  KEY_PREFIX,
  Keeper,
  LIMITS,
  parseKept,
  withDraft,
  withUnsent,
  type Draft,
  type KeyValueStorage,
  type UnsentMessage,
} from '../../web/src/state/persist.js';

/** localStorage's behaviour on a Map, optionally full (every write throws, as a quota error does). */
class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  full = false;
  get length(): number {
    return this.items.size;
  }
  key(i: number): string | null {
    return [...this.items.keys()][i] ?? null;
  }
  getItem(k: string): string | null {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    if (this.full) throw new DOMException('quota', 'QuotaExceededError');
    this.items.set(k, v);
  }
  removeItem(k: string): void {
    this.items.delete(k);
  }
}

const unsent = (n: number, conversationId = '7'): UnsentMessage => ({
  conversationId,
  clientMsgId: `cm-${n}`,
  body: `message ${n}`,
  replyTo: null,
  attachments: [],
  createdAt: '2026-12-01T00:00:00.000Z',
});

describe('kept drafts and unsent messages (web/src/state/persist.ts)', () => {
  test('a new Keeper over the same storage (a reload) finds the drafts and the outbox of its account', () => {
    const storage = new MemoryStorage();
    const before = new Keeper(storage, '42');
    before.setDraft('7', 'half a tho');
    before.setDraft('9', 'another');
    before.keep(unsent(1));
    const after = new Keeper(storage, '42');
    expect(after.draft('7')).toBe('half a tho');
    expect(after.draft('9')).toBe('another');
    expect(after.outbox()).toEqual([unsent(1)]);
    expect(new Keeper(storage, '43').outbox()).toEqual([]);
  });

  test('a message stored or discarded is forgotten; a refused one stays, marked, with its code', () => {
    const storage = new MemoryStorage();
    const k = new Keeper(storage, '42');
    k.keep(unsent(1));
    k.keep(unsent(2));
    k.refuse('cm-2', { code: 'BODY_TOO_LONG', message: 'too long' });
    k.forget('cm-1');
    const again = new Keeper(storage, '42').outbox();
    expect(again).toEqual([{ ...unsent(2), refused: { code: 'BODY_TOO_LONG', message: 'too long' } }]);
  });

  test('keeping the same clientMsgId twice replaces it: one entry, so one resend', () => {
    const k = new Keeper(new MemoryStorage(), '42');
    k.keep(unsent(1));
    k.keep({ ...unsent(1), body: 'changed' });
    expect(k.outbox().map((u) => u.body)).toEqual(['changed']);
  });

  test('an empty or blank draft removes it; nothing kept leaves no key behind', () => {
    const storage = new MemoryStorage();
    const k = new Keeper(storage, '42');
    k.setDraft('7', 'x');
    expect(storage.items.has(`${KEY_PREFIX}42`)).toBe(true);
    k.setDraft('7', '   ');
    expect(k.draft('7')).toBe('');
    expect(storage.items.size).toBe(0);
  });

  test('starting as one account removes every other account, and nothing else', () => {
    const storage = new MemoryStorage();
    new Keeper(storage, '1').setDraft('7', "alice's secret");
    new Keeper(storage, '2').setDraft('7', "bob's");
    storage.setItem('unrelated', 'stays');
    forgetOthers(storage, '2');
    expect(new Keeper(storage, '1').draft('7')).toBe('');
    expect(new Keeper(storage, '2').draft('7')).toBe("bob's");
    forgetOthers(storage, null);
    expect([...storage.items.keys()]).toEqual(['unrelated']);
  });

  test('bounded: the oldest drafts go past the cap; an over-long draft is not written (never cut); a full outbox keeps what it has', () => {
    let drafts: Draft[] = [];
    // Ids are digit strings, as the server's are: the order is by age, not by number.
    for (let i = 40; i > 40 - LIMITS.drafts - 5; i--) drafts = withDraft(drafts, String(i), `d${i}`);
    expect(drafts).toHaveLength(LIMITS.drafts);
    expect(drafts.some((d) => d.conversationId === '40')).toBe(false);
    expect(drafts.at(-1)).toEqual({ conversationId: String(40 - LIMITS.drafts - 4), text: `d${40 - LIMITS.drafts - 4}` });
    // Typing again in an old conversation makes it the newest.
    drafts = withDraft(drafts, '30', 'again');
    expect(drafts.at(-1)).toEqual({ conversationId: '30', text: 'again' });
    const short = [{ conversationId: 'a', text: 'short' }];
    expect(withDraft(short, 'a', 'x'.repeat(LIMITS.draftChars + 1))).toEqual(short);

    let outbox: UnsentMessage[] = [];
    for (let i = 0; i < LIMITS.outbox + 3; i++) outbox = withUnsent(outbox, unsent(i));
    expect(outbox).toHaveLength(LIMITS.outbox);
    expect(outbox.at(-1)?.clientMsgId).toBe(`cm-${LIMITS.outbox - 1}`);
  });

  test('storage that throws or holds garbage: the app keeps working from memory', () => {
    const storage = new MemoryStorage();
    storage.setItem(`${KEY_PREFIX}42`, '{not json');
    const k = new Keeper(storage, '42');
    expect(k.outbox()).toEqual([]);
    storage.full = true;
    k.setDraft('7', 'still here');
    k.keep(unsent(1));
    expect(k.draft('7')).toBe('still here');
    expect(k.outbox()).toHaveLength(1);
    expect(new Keeper(null, '42').draft('7')).toBe('');
    expect(
      parseKept(
        '{"drafts":[{"conversationId":"7","text":3},null,{"conversationId":"8","text":"ok"}],"outbox":[{"conversationId":"7"},null]}',
      ),
    ).toEqual({ drafts: [{ conversationId: '8', text: 'ok' }], outbox: [] });
    expect(parseKept('{"drafts":{"7":"old shape"}}')).toEqual({ drafts: [], outbox: [] });
  });
});
