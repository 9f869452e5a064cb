/**
 * @mentions are recognised once, on the server, when a message is stored or
 * edited, and travel as user ids: clients highlight and count them without
 * parsing bodies. A token is `@` and username characters, not preceded by a
 * username character or `@` (so an address like a@b.example names nobody).
 */

/** Distinct names looked up per body: a 4,000-character body could hold ~800 tokens. */
export const MAX_MENTION_NAMES = 50;
const TOKEN = /(?<![a-z0-9_.@-])@([a-z0-9_.-]+)/gi;
const EVERYONE = new Set(['room', 'everyone']);

export interface MentionTokens {
  /** Lower-cased candidate usernames in order of appearance (with trailing '.'/'-' stripped as a variant). */
  names: string[];
  /** `@room` or `@everyone` appears. */
  all: boolean;
}

export function mentionTokens(body: string): MentionTokens {
  const names: string[] = [];
  let all = false;
  for (const m of body.matchAll(TOKEN)) {
    const raw = m[1]!.toLowerCase();
    // "@bob." ends a sentence: the name may be "bob." or "bob".
    for (const name of new Set([raw, raw.replace(/[.-]+$/, '')])) {
      if (EVERYONE.has(name)) all = true;
      else if (name.length >= 3 && name.length <= 32 && !names.includes(name) && names.length < MAX_MENTION_NAMES) names.push(name);
    }
  }
  return { names, all };
}

/**
 * The mentions a message carries: the ids of the named users who are current
 * members (in order of appearance), and whether it calls everyone — only when
 * the sender may (mayMentionAll); otherwise the text stays plain.
 */
export function resolveMentions(
  tokens: MentionTokens,
  members: ReadonlyArray<{ id: string; username: string }>,
  mayAll: boolean,
): { mentions: string[]; mentionsAll: boolean } {
  const byName = new Map(members.map((m) => [m.username.toLowerCase(), m.id]));
  const mentions: string[] = [];
  for (const n of tokens.names) {
    const id = byName.get(n);
    if (id !== undefined && !mentions.includes(id)) mentions.push(id);
  }
  return { mentions, mentionsAll: tokens.all && mayAll };
}
