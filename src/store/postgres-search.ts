import { idOrNone } from '../domain/ids.js';
import { BUCKET_IDS, bucketMarker, bucketOf, documentTerms } from '../domain/search-text.js';
import type { MessageRow } from './message-rows.js';
import type { Db } from './postgres-db.js';
import type { Int } from './rows.js';
import { type SpanRow, collect, planSearch } from './search-plan.js';
import type { SearchQuery } from './store.js';

/**
 * The search index of PostgresStore: message_search (its migration explains
 * the table), written in the transaction of every append (postgres-append.ts),
 * edit and delete, and read by search-plan.ts's walk. Functions over a Db.
 */

/** (Re)writes a message's index row. Only inside the write's transaction. */
export async function indexMessage(
  db: Db,
  m: { id: Int; conversationId: string; senderId: string; body: string; hasFile: boolean },
): Promise<void> {
  await db.query(
    `INSERT INTO message_search (message_id, conv_id, terms) VALUES ($1, $2, string_to_array($3, ' '))
     ON CONFLICT (message_id) DO UPDATE SET terms = excluded.terms`,
    [m.id, m.conversationId, `${documentTerms(m)} ${bucketMarker(bucketOf(Number(m.id)))}`],
  );
}

export async function unindexMessage(db: Db, id: Int): Promise<void> {
  await db.query('DELETE FROM message_search WHERE message_id = $1', [id]);
}

/** Buckets the first window of a walk covers; each next window covers WIDEN times more. */
const FIRST_WINDOW = 1;
const WIDEN = 4;

/**
 * A GIN index finds every row with the terms but in no order, so a common
 * term would fetch and sort a large part of the table. The walk asks it for
 * one window of ids at a time, newest first — rows whose bucket marker is
 * among the window's — widening the window while it finds too little, so a
 * common term is answered from the newest bucket and a rare one after a few
 * wider windows. The whole match (terms, one of the user's conversations,
 * the window) is decided inside the index; only matches are fetched.
 */
export async function searchMessages(db: Db, q: SearchQuery): Promise<MessageRow[]> {
  const spans = (await db.query('SELECT conv_id, joined_seq, left_seq FROM memberships WHERE user_id = $1', [idOrNone(q.userId)]))
    .rows as SpanRow[];
  const plan = planSearch(q, spans);
  if (!plan) return [];
  const newest = Number((await db.query('SELECT coalesce(max(message_id), 0) AS n FROM message_search')).rows[0].n);
  const walk = async (beforeId: number, n: number): Promise<MessageRow[]> => {
    const out: MessageRow[] = [];
    let below = Math.min(beforeId, newest + 1);
    for (let width = FIRST_WINDOW; below > 0 && out.length < n; width *= WIDEN) {
      const top = bucketOf(below - 1);
      const low = Math.max(0, top - width + 1);
      const buckets = Array.from({ length: top - low + 1 }, (_, i) => bucketMarker(low + i));
      // MATERIALIZED: the matches are found through the index, never by walking the primary key with a filter.
      const res = await db.query(
        `WITH hit AS MATERIALIZED (
           SELECT message_id FROM message_search
           WHERE terms @> $1::text[] AND terms && $2::text[] AND terms && $3::text[] AND message_id < $4)
         SELECT m.* FROM hit JOIN messages m ON m.id = hit.message_id ORDER BY m.id DESC LIMIT $5`,
        [plan.all, plan.any, buckets, below, n - out.length],
      );
      out.push(...(res.rows as MessageRow[]));
      below = low * BUCKET_IDS;
    }
    return out;
  };
  return collect(plan, q.beforeId ?? null, q.limit, { broad: walk, narrow: walk });
}
