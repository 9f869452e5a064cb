import { idOrNone } from '../domain/ids.js';
import { documentTerms } from '../domain/search-text.js';
import type { MessageRow } from './message-rows.js';
import type { Int } from './rows.js';
import { type SpanRow, collect, planSearch } from './search-plan.js';
import type { SqliteDb } from './sqlite-db.js';
import type { SearchQuery } from './store.js';

/**
 * The search index of SqliteStore: the FTS5 table message_search (its
 * migration explains the table's options), written in the transaction of
 * every append, edit and delete, and read by search-plan.ts's walk.
 */

export interface IndexedMessage {
  id: Int;
  conversationId: string;
  senderId: string;
  body: string;
  hasFile: boolean;
}

/** (Re)writes a message's index row. Only inside the write's transaction. */
export function indexMessage(d: SqliteDb, m: IndexedMessage): void {
  d.run('DELETE FROM message_search WHERE rowid = ?', m.id);
  d.run('INSERT INTO message_search (rowid, terms) VALUES (?, ?)', m.id, documentTerms(m));
}

/** A deleted message leaves the index. Only inside the write's transaction. */
export function unindexMessage(d: SqliteDb, id: Int): void {
  d.run('DELETE FROM message_search WHERE rowid = ?', id);
}

/** Before an account's messages go (cascade): their index rows, which no foreign key removes. */
export function unindexSender(d: SqliteDb, senderId: string): void {
  d.run('DELETE FROM message_search WHERE rowid IN (SELECT id FROM messages WHERE sender_id = ?)', idOrNone(senderId));
}

export function searchMessages(d: SqliteDb, q: SearchQuery): Promise<MessageRow[]> {
  const spans = d.all<SpanRow>('SELECT conv_id, joined_seq, left_seq FROM memberships WHERE user_id = ?', idOrNone(q.userId));
  const plan = planSearch(q, spans);
  if (!plan) return Promise.resolve([]);
  const quote = (t: string) => `"${t}"`;
  const any = plan.any.length === 1 ? quote(plan.any[0]!) : `(${plan.any.map(quote).join(' OR ')})`;
  const narrow = [...plan.all.map(quote), any].join(' AND ');
  // FTS5 walks the rowids newest first and stops at the LIMIT; each candidate joins its row by primary key.
  const walk = (match: string) => (beforeId: number, n: number) =>
    d.all<MessageRow>(
      `SELECT m.* FROM message_search s JOIN messages m ON m.id = s.rowid
       WHERE message_search MATCH ? AND s.rowid < ? ORDER BY s.rowid DESC LIMIT ?`,
      match,
      beforeId,
      n,
    );
  const convs = plan.any.length;
  const listing = (beforeId: number, n: number) =>
    d.all<MessageRow>(
      `SELECT * FROM messages WHERE conv_id IN (${Array.from({ length: convs }, () => '?').join(', ')}) AND id < ? ORDER BY id DESC LIMIT ?`,
      ...plan.convIds,
      beforeId,
      n,
    );
  return collect(plan, q.beforeId ?? null, q.limit, {
    broad: plan.all.length > 0 ? walk(plan.all.map(quote).join(' AND ')) : listing,
    narrow: walk(narrow),
  });
}
