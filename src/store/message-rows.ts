import { MAX_REACTORS_SHOWN, previewOf } from '../domain/messages.js';
import type { Attachment, LinkPreview, Message, Reaction, ReplyPreview } from '../domain/types.js';
import { type Bool, type Int, truthy } from './rows.js';
import type { StoredAttachment } from './store.js';

/**
 * Message rows as both databases return them (with their reactions, files and
 * link preview), and the one mapping of each to its domain shape (rows.ts
 * explains `Int` and `Bool`).
 */
export interface MessageRow {
  id: Int;
  conv_id: Int;
  sender_id: Int;
  sender_name: string;
  body: string;
  client_msg_id: string | null;
  created_at: string;
  edited_at?: string | null;
  deleted?: Bool | null;
  reply_to_id?: Int | null;
  /** JSON array of user ids. */
  mentions?: string | null;
  mentions_all?: Bool | null;
  seq?: Int | null;
  /** JSON of the preview without `imageUrl` (which follows from `link_preview_image`). */
  link_preview?: string | null;
  /** Blob key of the preview's stored image. */
  link_preview_image?: string | null;
}
export interface ReactionRow {
  message_id: Int;
  emoji: string;
  user_id: Int;
}
export interface AttachmentRow {
  id: Int;
  conv_id: Int;
  uploader_id: Int;
  message_id: Int | null;
  name: string;
  type: string;
  size: Int;
  width: Int | null;
  height: Int | null;
  blob_key: string;
  thumb_key: string | null;
  thumb_size: Int;
  position: Int | null;
  created_at: string;
}

/** The paths a file is fetched from (src/http/routes/attachments.ts serves them). */
export const fileUrl = (id: string): string => `/api/v1/files/${id}`;
export const thumbnailUrl = (id: string): string => `/api/v1/files/${id}/thumbnail`;
export const previewImageUrl = (messageId: string): string => `/api/v1/messages/${messageId}/preview-image`;

export const storedAttachmentOf = (r: AttachmentRow): StoredAttachment => ({
  id: String(r.id),
  conversationId: String(r.conv_id),
  uploaderId: String(r.uploader_id),
  messageId: r.message_id == null ? null : String(r.message_id),
  name: r.name,
  type: r.type,
  size: Number(r.size),
  width: r.width == null ? null : Number(r.width),
  height: r.height == null ? null : Number(r.height),
  blobKey: r.blob_key,
  thumbKey: r.thumb_key,
  thumbSize: Number(r.thumb_size),
  createdAt: r.created_at,
});

/** A file as a message carries it: images with their size and thumbnail. */
export function attachmentOf(a: Pick<StoredAttachment, 'id' | 'name' | 'size' | 'type' | 'width' | 'height' | 'thumbKey'>): Attachment {
  const out: Attachment = { id: a.id, name: a.name, size: a.size, type: a.type, url: fileUrl(a.id) };
  if (a.width != null && a.height != null) {
    out.width = a.width;
    out.height = a.height;
  }
  if (a.thumbKey != null) out.thumbnailUrl = thumbnailUrl(a.id);
  return out;
}

/** Attachment rows (in message, position order) grouped by message id. */
export function attachmentsByMessage(rows: readonly AttachmentRow[]): Map<string, Attachment[]> {
  const out = new Map<string, Attachment[]>();
  for (const r of rows) {
    const id = String(r.message_id);
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push(attachmentOf(storedAttachmentOf(r)));
  }
  return out;
}

export function linkPreviewOf(r: Pick<MessageRow, 'id' | 'link_preview' | 'link_preview_image'>): LinkPreview | null {
  if (!r.link_preview) return null;
  const p = JSON.parse(r.link_preview) as Omit<LinkPreview, 'imageUrl'>;
  return {
    url: p.url,
    title: p.title,
    description: p.description ?? null,
    siteName: p.siteName ?? null,
    imageUrl: r.link_preview_image ? previewImageUrl(String(r.id)) : null,
  };
}

/** After an edit whose first link is `link`: the stored preview is of another link. */
export const stalePreview = (r: Pick<MessageRow, 'link_preview'>, link: string | null): boolean =>
  !!r.link_preview && (JSON.parse(r.link_preview) as { url: string }).url !== link;

/** What link_preview stores: the preview without its image path. */
export const linkPreviewJson = (p: LinkPreview): string =>
  JSON.stringify({ url: p.url, title: p.title, description: p.description, siteName: p.siteName });

/**
 * A message in the one key order every event and answer uses. A message never
 * holds its reactions, files or quote in its row: `replyTo`, `reactions` and
 * `attachments` come from messagesOf (or the caller building a new one).
 */
export function newMessage(
  m: Pick<Message, 'id' | 'conversationId' | 'senderId' | 'senderName' | 'body' | 'createdAt'>,
  rest: {
    clientMsgId?: string | null;
    editedAt?: string | null;
    deleted?: boolean;
    replyTo?: ReplyPreview | null;
    reactions?: Reaction[];
    mentions?: string[];
    mentionsAll?: boolean;
    attachments?: Attachment[];
    linkPreview?: LinkPreview | null;
  },
): Message {
  return {
    id: m.id,
    conversationId: m.conversationId,
    senderId: m.senderId,
    senderName: m.senderName,
    body: m.body,
    createdAt: m.createdAt,
    // clientMsgId sits after createdAt, where it always was on the wire.
    ...(rest.clientMsgId != null ? { clientMsgId: rest.clientMsgId } : {}),
    editedAt: rest.editedAt ?? null,
    deleted: rest.deleted ?? false,
    replyTo: rest.replyTo ?? null,
    reactions: rest.reactions ?? [],
    mentions: rest.mentions ?? [],
    mentionsAll: rest.mentionsAll ?? false,
    attachments: rest.attachments ?? [],
    linkPreview: rest.linkPreview ?? null,
  };
}

/** A row alone: no quote, no reactions, no files (see messagesOf); the link preview is in the row. */
export const messageOf = (
  r: MessageRow,
  replyTo: ReplyPreview | null = null,
  reactions: Reaction[] = [],
  attachments: Attachment[] = [],
): Message =>
  newMessage(
    {
      id: String(r.id),
      conversationId: String(r.conv_id),
      senderId: String(r.sender_id),
      senderName: r.sender_name,
      body: r.body,
      createdAt: r.created_at,
    },
    {
      clientMsgId: r.client_msg_id,
      editedAt: r.edited_at ?? null,
      deleted: truthy(r.deleted),
      replyTo,
      reactions,
      mentions: r.mentions ? (JSON.parse(r.mentions) as string[]) : [],
      mentionsAll: truthy(r.mentions_all),
      attachments,
      linkPreview: linkPreviewOf(r),
    },
  );

/** Reactions by emoji in order of first use; the first MAX_REACTORS_SHOWN reactors named, the count exact. Rows in insertion order. */
export function reactionsOf(rows: readonly ReactionRow[]): Map<string, Reaction[]> {
  const out = new Map<string, Reaction[]>();
  for (const r of rows) {
    const id = String(r.message_id);
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    let x = list.find((e) => e.emoji === r.emoji);
    if (!x) list.push((x = { emoji: r.emoji, count: 0, userIds: [] }));
    x.count++;
    if (x.userIds.length < MAX_REACTORS_SHOWN) x.userIds.push(String(r.user_id));
  }
  return out;
}

/** Rows with their reactions, their files and, for replies, the preview of the original as it now is. */
export function messagesOf(
  rows: readonly MessageRow[],
  reactions: readonly ReactionRow[],
  originals: readonly MessageRow[],
  attachments: readonly AttachmentRow[] = [],
): Message[] {
  const byId = new Map(originals.map((o) => [String(o.id), o]));
  const grouped = reactionsOf(reactions);
  const files = attachmentsByMessage(attachments);
  return rows.map((r) => {
    let replyTo: ReplyPreview | null = null;
    if (r.reply_to_id != null) {
      const o = byId.get(String(r.reply_to_id));
      replyTo = previewOf(
        String(r.reply_to_id),
        o ? { senderId: String(o.sender_id), senderName: o.sender_name, body: o.body, deleted: truthy(o.deleted) } : null,
      );
    }
    const id = String(r.id);
    return truthy(r.deleted) ? messageOf(r, replyTo) : messageOf(r, replyTo, grouped.get(id) ?? [], files.get(id) ?? []);
  });
}

/** Ids the hydration of these rows needs: the messages' own and their originals'. */
export const replyIdsOf = (rows: readonly MessageRow[]): string[] => [
  ...new Set(rows.filter((r) => r.reply_to_id != null).map((r) => String(r.reply_to_id))),
];
