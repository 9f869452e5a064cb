import { idLess } from './format';
import { storedOf, type ConvState } from './state/model';

/**
 * Read receipts as the message log shows them: "Seen" under my latest
 * message the peer has read (direct), "Seen by N" under my latest message
 * others have read, with their names (group). Rooms publish no read
 * positions, so they show none.
 */
export function seenMarks(conv: ConvState, meId: string, nameOf: (id: string) => string): Map<string, { text: string; title: string }> {
  const out = new Map<string, { text: string; title: string }>();
  if (conv.summary.kind === 'room') return out;
  const mine = storedOf(conv.messages).filter((m) => m.senderId === meId && !m.deleted);
  if (conv.summary.kind === 'direct') {
    const upTo = conv.summary.peer ? conv.readBy[conv.summary.peer.id] : undefined;
    const last = upTo ? mine.filter((m) => !idLess(upTo, m.id)).pop() : undefined;
    if (last) out.set(last.id, { text: 'Seen', title: `Seen by ${nameOf(conv.summary.peer!.id)}` });
    return out;
  }
  const readers = Object.entries(conv.readBy).filter(([id]) => id !== meId);
  for (let i = mine.length - 1; i >= 0; i--) {
    const m = mine[i]!;
    const who = readers.filter(([, upTo]) => !idLess(upTo, m.id)).map(([id]) => nameOf(id));
    if (!who.length) continue;
    const names = who.length <= 3 ? who.join(', ') : `${who.slice(0, 3).join(', ')} and ${who.length - 3} more`;
    out.set(m.id, { text: `Seen by ${who.length} · ${names}`, title: `Seen by ${who.join(', ')}` });
    break;
  }
  return out;
}
