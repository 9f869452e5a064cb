import { AppError } from '../domain/errors.js';
import { idOrNone } from '../domain/ids.js';
import { decidePost } from '../domain/posting.js';
import { previewOf } from '../domain/messages.js';
import type { ConversationKind, EventPayload, ReplyPreview } from '../domain/types.js';
import { type Db, type PgDb, all, get, getPrepared } from './postgres-db.js';
import { hydrate } from './postgres-hydrate.js';
import { bucketMarker, bucketOf, documentTerms, firstLink } from '../domain/search-text.js';
import { type MessageRow, attachmentOf, newMessage } from './message-rows.js';
import { bindAttachments, checkBatchAttachments } from './postgres-files.js';
import { type Int, truthy } from './rows.js';
import { PG_SQL } from './sql.js';
import type { Store } from './store.js';

type AppendInput = Parameters<Store['appendMessage']>[0];
type AppendResult = Awaited<ReturnType<Store['appendMessage']>>;
interface PendingAppend {
  input: AppendInput;
  senderName: string;
  /** Computed before the lock: the index row's terms (search-text.ts) and whether the body has a link. */
  terms: string;
  hasLink: boolean;
  resolve: (r: AppendResult) => void;
  reject: (err: unknown) => void;
}
/** Appends committed together at most (bounds a batch's statement and its lock hold). */
const MAX_APPEND_BATCH = 200;

interface AllocRow {
  n: Int;
  id: Int;
  seq: Int;
  kind: ConversationKind | null;
  sender_exists: boolean;
  member: boolean;
  friends: boolean;
}

/**
 * Sent in BEGIN's round trip, right after the lock: a message id and a
 * position for each append (row n for the nth), and what decidePost needs —
 * the conversation's kind, whether the sender exists and is a current member
 * and, in a direct conversation, whether the other member is their friend.
 * A statement in that round trip takes no parameters; the ids are inlined,
 * which is safe because idOrNone lets through only digits (or -1).
 */
function allocAndDecide(convs: string[], senders: string[]): string {
  return `WITH i AS (SELECT * FROM unnest('{${convs.join(',')}}'::bigint[], '{${senders.join(',')}}'::bigint[]) WITH ORDINALITY AS i(conv_id, sender_id, n))
  SELECT i.n, nextval('messages_id_seq') AS id, nextval('event_positions') AS seq, c.kind,
    EXISTS (SELECT 1 FROM users u WHERE u.id = i.sender_id) AS sender_exists,
    EXISTS (SELECT 1 FROM memberships m WHERE m.conv_id = i.conv_id AND m.user_id = i.sender_id AND m.left_seq IS NULL) AS member,
    EXISTS (SELECT 1 FROM memberships p JOIN friendships f ON f.user_a = LEAST(p.user_id, i.sender_id) AND f.user_b = GREATEST(p.user_id, i.sender_id)
            WHERE c.kind = 'direct' AND p.conv_id = i.conv_id AND p.user_id <> i.sender_id AND p.left_seq IS NULL) AS friends
  FROM i LEFT JOIN conversations c ON c.id = i.conv_id`;
}

const APPEND = `WITH input AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[],
                                           $10::bigint[], $11::text[], $12::boolean[], $13::boolean[], $14::text[])
                      AS t(id, conv_id, sender_id, sender_name, body, client_msg_id, created_at, seq, payload, reply_to_id, mentions, mentions_all,
                           has_link, terms)),
    m AS (INSERT INTO messages (id, conv_id, sender_id, sender_name, body, client_msg_id, created_at, seq, reply_to_id, mentions, mentions_all, has_link)
          SELECT id, conv_id, sender_id, sender_name, body, client_msg_id, created_at, seq, reply_to_id, mentions, mentions_all, has_link
          FROM input ORDER BY id
          ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING RETURNING id),
    s AS (INSERT INTO message_search (message_id, conv_id, terms)
          SELECT i.id, i.conv_id, string_to_array(i.terms, ' ') FROM input i JOIN m ON m.id = i.id),
    rp AS (INSERT INTO read_pointers (user_id, conv_id, message_id)
           SELECT i.sender_id, i.conv_id, max(i.id) FROM input i JOIN m ON m.id = i.id GROUP BY i.sender_id, i.conv_id
           ON CONFLICT (user_id, conv_id) DO UPDATE SET message_id = GREATEST(read_pointers.message_id, excluded.message_id)),
    e AS (INSERT INTO events (seq, type, conv_id, payload, created_at)
          SELECT i.seq, 'message.created', i.conv_id, i.payload, i.created_at FROM input i JOIN m ON m.id = i.id)
  SELECT id FROM m`;

/**
 * Group commit of messages: one batch of appends at a time per node holds the
 * log lock while the next batch gathers, so one lock hold and one WAL flush
 * carry many messages. Who may post is decided inside the batch's transaction,
 * under the lock that a leave or an unfriend also takes: whichever commits
 * first is seen by the other. A refused append fails alone; a batch that
 * fails is retried one append at a time, so only the bad append fails.
 */
export class PgAppender {
  private readonly queue: PendingAppend[] = [];
  private draining: Promise<void> | null = null;

  constructor(private readonly p: PgDb) {}

  async append(input: AppendInput): Promise<AppendResult> {
    // Before the lock: the retry check and the sender's name need no ordering.
    const pre = await getPrepared<Partial<MessageRow> & { display_name: string }>(
      this.p.pool,
      'hubbub_append_check',
      'SELECT u.display_name, d.* FROM users u LEFT JOIN messages d ON d.sender_id = u.id AND d.client_msg_id = $2 WHERE u.id = $1',
      [idOrNone(input.senderId), input.clientMsgId],
    );
    if (pre?.id != null) return { message: (await hydrate(this.p.pool, [pre as MessageRow]))[0]!, events: [], duplicate: true };
    if (!pre) throw new AppError('USER_NOT_FOUND');
    const terms = documentTerms({ ...input, hasFile: (input.attachmentIds ?? []).length > 0 });
    const hasLink = firstLink(input.body) !== null;
    return new Promise((resolve, reject) => {
      this.queue.push({ input, senderName: pre.display_name, terms, hasLink, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_APPEND_BATCH);
        try {
          const outcomes = await this.commit(batch);
          for (const [i, p] of batch.entries()) settle(p, outcomes[i]!);
        } catch (err) {
          if (batch.length === 1) batch[0]!.reject(err);
          else for (const p of batch) await this.commit([p]).then(([o]) => settle(p, o!), p.reject);
        }
      }
    } finally {
      this.draining = null;
    }
  }

  private commit(batch: PendingAppend[]): Promise<Array<AppendResult | Error>> {
    const first = allocAndDecide(
      batch.map((p) => idOrNone(p.input.conversationId)),
      batch.map((p) => idOrNone(p.input.senderId)),
    );
    return this.p.tx<Array<AppendResult | Error>, AllocRow>(
      async (db, rows) => {
        const byN = [...rows].sort((x, y) => Number(x.n) - Number(y.n));
        const posting = byN.map(refusal);
        // A retry in the same batch as its original is answered as its duplicate (at the insert), not refused for the files.
        const keys = new Set<string>();
        const retry = batch.map(({ input }) => {
          if (input.clientMsgId == null) return false;
          const key = `${input.senderId} ${input.clientMsgId}`;
          const seen = keys.has(key);
          keys.add(key);
          return seen;
        });
        const files = await checkBatchAttachments(
          db,
          batch.map(({ input }, i) => (posting[i] || retry[i] ? null : { ...input, attachmentIds: input.attachmentIds ?? [] })),
        );
        const refusals = posting.map((r, i) => r ?? files.refusals[i]!);
        // Paired in ascending order whatever order the rows came in (message ids follow seq order too);
        // a refused append leaves its id and position unused.
        const ids = rows.map((r) => Number(r.id)).sort((x, y) => x - y);
        const seqs = rows.map((r) => Number(r.seq)).sort((x, y) => x - y);
        // Quotes are read under the lock: a delete of the original that committed first is seen, so no body it had leaks into a reply.
        const quoted = await originalsOf(db, batch);
        const planned = batch.flatMap(({ input, senderName, terms, hasLink }, i) => {
          if (refusals[i]) return [];
          const { replyTo = null, mentions = [], mentionsAll = false, attachmentIds = [] } = input;
          const attachments = attachmentIds.map((id) => attachmentOf(files.rows.get(id)!));
          const message = newMessage(
            {
              id: String(ids[i]),
              conversationId: input.conversationId,
              senderId: input.senderId,
              senderName,
              body: input.body,
              createdAt: input.now,
            },
            { clientMsgId: input.clientMsgId, replyTo: replyTo === null ? null : quoted(replyTo), mentions, mentionsAll, attachments },
          );
          const payload = JSON.stringify({ type: 'message.created', message } satisfies EventPayload);
          return [{ i, message, seq: seqs[i]!, payload, terms, hasLink, attachmentIds }];
        });
        const inserted = new Set<string>();
        if (planned.length > 0) {
          const column = <T>(f: (p: (typeof planned)[number]) => T) => planned.map(f);
          const values = [
            column((p) => p.message.id),
            column((p) => p.message.conversationId),
            column((p) => p.message.senderId),
            column((p) => p.message.senderName),
            column((p) => p.message.body),
            column((p) => p.message.clientMsgId ?? null),
            column((p) => p.message.createdAt),
            column((p) => p.seq),
            column((p) => p.payload),
            column((p) => (p.message.replyTo ? p.message.replyTo.id : null)),
            column((p) => JSON.stringify(p.message.mentions)),
            column((p) => p.message.mentionsAll),
            column((p) => p.hasLink),
            column((p) => `${p.terms} ${bucketMarker(bucketOf(Number(p.message.id)))}`),
          ];
          for (const r of (await db.query({ name: 'hubbub_append_batch', text: APPEND, values })).rows as Array<{ id: Int }>)
            inserted.add(String(r.id));
          await bindAttachments(
            db,
            planned.filter((p) => inserted.has(p.message.id)).map((p) => ({ messageId: p.message.id, attachmentIds: p.attachmentIds })),
          );
        }
        const outcomes: Array<AppendResult | Error> = refusals.map((r) => r as Error);
        for (const p of planned) {
          if (inserted.has(p.message.id)) {
            outcomes[p.i] = {
              message: p.message,
              events: [{ seq: p.seq, type: 'message.created', conversationId: p.message.conversationId, targets: [], payload: p.payload }],
              duplicate: false,
            };
          } else {
            // The same clientMsgId committed since our check, or earlier in this batch: answer with the stored one.
            const dup = await get<MessageRow>(db, PG_SQL.messageBySenderKey, [p.message.senderId, p.message.clientMsgId]);
            outcomes[p.i] = { message: (await hydrate(db, [dup!]))[0]!, events: [], duplicate: true };
          }
        }
        return outcomes;
      },
      { lockLog: true, first },
    );
  }
}

/** The originals the batch's replies quote, as they are now (a missing one reads as deleted). */
async function originalsOf(db: Db, batch: PendingAppend[]): Promise<(id: string) => ReplyPreview> {
  const ids = [...new Set(batch.flatMap((p) => (p.input.replyTo == null ? [] : [idOrNone(p.input.replyTo)])))];
  const rows = ids.length === 0 ? [] : await all<MessageRow>(db, 'SELECT * FROM messages WHERE id = ANY($1::bigint[])', [ids]);
  const byId = new Map(rows.map((r) => [String(r.id), r]));
  return (id) => {
    const o = byId.get(id);
    return previewOf(id, o ? { senderId: String(o.sender_id), senderName: o.sender_name, body: o.body, deleted: truthy(o.deleted) } : null);
  };
}

/** decidePost on the state read under the lock: the refusal, or null where the append may go in. */
function refusal(s: AllocRow): AppError | null {
  try {
    decidePost({
      senderExists: s.sender_exists,
      conversation: s.kind ? { kind: s.kind } : null,
      isMember: s.member,
      friendsWithPeer: s.friends,
    });
    return null;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
}

function settle(p: PendingAppend, outcome: AppendResult | Error): void {
  if (outcome instanceof Error) p.reject(outcome);
  else p.resolve(outcome);
}
