import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { draftOf, draftRestore, forgetAllKept, keepFor, kept, messageOf, restoreDraft, unsentOf } from '../../web/src/state/kept.js';
import { KEY_PREFIX, Keeper, type KeyValueStorage } from '../../web/src/state/persist.js';
import type { User } from '../../web/src/types.js';

class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
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
    this.items.set(k, v);
  }
  removeItem(k: string): void {
    this.items.delete(k);
  }
}

type DraftGlobal = { __hubbubDrafts?: Map<string, string> };

/** What Composer.vue does with its drafts today: one Map on globalThis, created when missing. */
const composerDrafts = (): Map<string, string> => ((globalThis as DraftGlobal).__hubbubDrafts ??= new Map<string, string>());

const alice = { id: '1', username: 'alice', displayName: 'Alice' } as User;

describe("the session's keeper (web/src/state/kept.ts)", () => {
  let storage: MemoryStorage;
  beforeEach(() => {
    storage = new MemoryStorage();
    vi.stubGlobal('localStorage', storage);
    delete (globalThis as DraftGlobal).__hubbubDrafts;
  });
  afterEach(() => {
    forgetAllKept();
    vi.unstubAllGlobals();
  });

  test("the composer's draft Map writes through to storage, and a reload's Map starts with the drafts", () => {
    keepFor('1');
    composerDrafts().set('7', 'typed before the reload');
    expect(new Keeper(storage, '1').draft('7')).toBe('typed before the reload');
    // A reload: a fresh page, the same storage.
    delete (globalThis as DraftGlobal).__hubbubDrafts;
    forgetAllKept();
    storage.setItem(`${KEY_PREFIX}1`, JSON.stringify({ drafts: [{ conversationId: '7', text: 'typed before the reload' }], outbox: [] }));
    keepFor('1');
    expect(composerDrafts().get('7')).toBe('typed before the reload');
    expect(draftOf('7')).toBe('typed before the reload');
    composerDrafts().delete('7');
    expect(storage.items.size).toBe(0);
  });

  test("another account's session removes the first one's text and gets an empty Map", () => {
    keepFor('1');
    composerDrafts().set('7', "alice's");
    keepFor('2');
    expect(composerDrafts().get('7')).toBeUndefined();
    expect([...storage.items.keys()]).toEqual([]);
    expect(kept()?.userId).toBe('2');
  });

  test('logout forgets everything, in storage and in memory', () => {
    keepFor('1');
    composerDrafts().set('7', 'x');
    kept()?.keep(
      unsentOf(messageOf({ conversationId: '7', clientMsgId: 'c1', body: 'b', replyTo: null, attachments: [], createdAt: 't' }, alice)),
    );
    forgetAllKept();
    expect(storage.items.size).toBe(0);
    expect(kept()).toBeNull();
    expect(composerDrafts().size).toBe(0);
  });

  test('a kept message comes back pending with its original clientMsgId, or failed when refused', () => {
    const u = { conversationId: '7', clientMsgId: 'c1', body: 'hello', replyTo: null, attachments: [], createdAt: '2026-12-01T00:00:00Z' };
    const m = messageOf(u, alice);
    expect(m).toMatchObject({ id: 'local:c1', clientMsgId: 'c1', senderId: '1', senderName: 'Alice', body: 'hello', state: 'pending' });
    expect(unsentOf(m)).toEqual(u);
    const refused = messageOf({ ...u, refused: { code: 'BODY_TOO_LONG', message: 'too long' } }, alice);
    expect(refused).toMatchObject({ state: 'failed', error: 'too long', retryable: false });
  });

  test('"edit" hands the text back to the composer: kept as the draft, announced with a new seq', () => {
    keepFor('1');
    restoreDraft('7', 'fix me');
    const first = draftRestore.value?.seq ?? 0;
    restoreDraft('7', 'fix me');
    expect(draftRestore.value).toEqual({ conversationId: '7', text: 'fix me', seq: first + 1 });
    expect(draftOf('7')).toBe('fix me');
  });
});
