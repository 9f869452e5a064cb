import type { Message } from '../domain/types.js';
import { type Db, all } from './postgres-db.js';
import { type MessageRow, type ReactionRow, messagesOf, replyIdsOf } from './rows.js';

/** Rows with their reactions and the current preview of what they reply to. */
export async function hydrate(db: Db, rows: MessageRow[]): Promise<Message[]> {
  if (rows.length === 0) return [];
  const reactions = await all<ReactionRow>(
    db,
    'SELECT message_id, emoji, user_id FROM reactions WHERE message_id = ANY($1::bigint[]) ORDER BY id',
    [rows.map((r) => String(r.id))],
  );
  const replyIds = replyIdsOf(rows);
  const originals =
    replyIds.length === 0 ? [] : await all<MessageRow>(db, 'SELECT * FROM messages WHERE id = ANY($1::bigint[])', [replyIds]);
  return messagesOf(rows, reactions, originals);
}
