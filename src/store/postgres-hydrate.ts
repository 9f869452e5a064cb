import type { Message } from '../domain/types.js';
import { type AttachmentRow, type MessageRow, type ReactionRow, messagesOf, replyIdsOf } from './message-rows.js';
import { type Db, all } from './postgres-db.js';

/** Rows with their reactions, their files and the current preview of what they reply to: a few queries for a whole page. */
export async function hydrate(db: Db, rows: MessageRow[]): Promise<Message[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => String(r.id));
  const reactions = await all<ReactionRow>(
    db,
    'SELECT message_id, emoji, user_id FROM reactions WHERE message_id = ANY($1::bigint[]) ORDER BY id',
    [ids],
  );
  const replyIds = replyIdsOf(rows);
  const originals =
    replyIds.length === 0 ? [] : await all<MessageRow>(db, 'SELECT * FROM messages WHERE id = ANY($1::bigint[])', [replyIds]);
  const files = await all<AttachmentRow>(
    db,
    'SELECT * FROM attachments WHERE message_id = ANY($1::bigint[]) ORDER BY message_id, position',
    [ids],
  );
  return messagesOf(rows, reactions, originals, files);
}
