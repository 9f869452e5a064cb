import type Database from 'better-sqlite3';
import { bucketMarker, bucketOf, documentTerms, firstLink } from '../domain/search-text.js';
import type { MessageRow } from './message-rows.js';

/**
 * The JS half of the migration steps that add search (SQLite 5, PostgreSQL 4),
 * run in the step's transaction right after its SQL: SQL cannot call the
 * tokenizer (search-text.ts). Every message not deleted gets its index row
 * and its has_link flag, read in batches so a large database is not held in
 * memory. Here rather than beside each store's search, so that the database
 * layers (sqlite-db.ts, postgres-db.ts) import nothing that imports them.
 */

/** Messages read per round. */
const BATCH = 2_000;

type Row = Pick<MessageRow, 'id' | 'conv_id' | 'sender_id' | 'body'>;
const termsOf = (r: Row) =>
  documentTerms({ conversationId: String(r.conv_id), senderId: String(r.sender_id), body: r.body, hasFile: false });

export function backfillSqlite(db: Database.Database): void {
  const read = db.prepare<[number, number], Row>(
    'SELECT id, conv_id, sender_id, body FROM messages WHERE id > ? AND NOT deleted ORDER BY id LIMIT ?',
  );
  const insert = db.prepare('INSERT INTO message_search (rowid, terms) VALUES (?, ?)');
  const hasLink = db.prepare('UPDATE messages SET has_link = 1 WHERE id = ?');
  for (let after = 0; ; ) {
    const rows = read.all(after, BATCH);
    for (const r of rows) {
      insert.run(r.id, termsOf(r));
      if (firstLink(r.body) !== null) hasLink.run(r.id);
    }
    if (rows.length < BATCH) return;
    after = Number(rows.at(-1)!.id);
  }
}

/** What the PostgreSQL half needs of a connection (postgres-db.ts's Db). */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export async function backfillPostgres(db: Queryable): Promise<void> {
  for (let after = '0'; ; ) {
    const rows = (
      await db.query('SELECT id, conv_id, sender_id, body FROM messages WHERE id > $1 AND NOT deleted ORDER BY id LIMIT $2', [after, BATCH])
    ).rows as Row[];
    await db.query(
      `INSERT INTO message_search (message_id, conv_id, terms)
       SELECT x.id, x.conv_id, string_to_array(x.terms, ' ') FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS x(id, conv_id, terms)`,
      [
        rows.map((r) => String(r.id)),
        rows.map((r) => String(r.conv_id)),
        rows.map((r) => `${termsOf(r)} ${bucketMarker(bucketOf(Number(r.id)))}`),
      ],
    );
    const linked = rows.filter((r) => firstLink(r.body) !== null).map((r) => String(r.id));
    await db.query('UPDATE messages SET has_link = true WHERE id = ANY($1::bigint[])', [linked]);
    if (rows.length < BATCH) return;
    after = String(rows.at(-1)!.id);
  }
}
