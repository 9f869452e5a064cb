import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { isId } from '../domain/ids.js';
import { forViewer } from '../domain/messages.js';
import { accountKey } from '../domain/rules.js';
import { parseQuery, snippet } from '../domain/search-text.js';
import type { Message, User } from '../domain/types.js';
import type { Store } from '../store/store.js';
import { encodeSearchCursor, parseSearchParams, type SearchParams } from './search-params.js';
import { WindowLimiter } from './typing.js';

export interface SearchResult {
  message: Message;
  /** Plain text (never HTML) around the first hit. */
  snippet: string;
  /** UTF-16 [start, end) ranges of `snippet` to mark. */
  highlights: Array<[number, number]>;
}

export interface SearchPage {
  results: SearchResult[];
  /** The cursor of the next page; null on the last. */
  nextCursor: string | null;
}

/**
 * Search over the messages a user can read — exactly those of their stream
 * (the store decides by membership spans) — newest first, with highlighted
 * snippets, paged. Rate limited per user (rateLimits.search a minute): a
 * search reads an index, far dearer than a send.
 */
export class SearchService {
  private readonly perUser: WindowLimiter;
  /** Searches refused by the rate limit (a metric). */
  limited = 0;

  constructor(
    protected readonly store: Store,
    protected readonly config: Readonly<Config>,
  ) {
    this.perUser = new WindowLimiter(config.rateLimits.search, 60_000);
  }

  async search(me: User, params: SearchParams): Promise<SearchPage> {
    if (!this.perUser.take(me.id)) {
      this.limited++;
      throw new AppError('RATE_LIMITED', 'Too many searches from this account; slow down.');
    }
    const req = parseSearchParams(params);
    const query = parseQuery(req.text);
    const conversationId = req.conversationId === null ? null : await this.searchableConversation(me, req.conversationId);
    const senderId = req.from === null ? null : await this.sender(req.from);
    // Text with nothing searchable in it (only punctuation or emoji) matches no message; it is not "no text".
    if (req.text !== '' && query.terms.length === 0) return { results: [], nextCursor: null };
    const found = await this.store.searchMessages({
      userId: me.id,
      text: req.text,
      conversationId,
      senderId,
      before: req.before,
      after: req.after,
      has: req.has,
      beforeId: req.beforeId,
      // One more than asked: whether there is a next page, without a count.
      limit: req.limit + 1,
    });
    const page = found.slice(0, req.limit);
    return {
      results: page.map((m) => ({ message: forViewer(m, me.id), ...snippet(m.body, query) })),
      nextCursor: found.length > req.limit ? encodeSearchCursor(page.at(-1)!.id) : null,
    };
  }

  /**
   * `in` names a conversation the user belongs to or once belonged to (a
   * former member searches what they could read then). As everywhere in the
   * API: CONVERSATION_NOT_FOUND when there is none, NOT_A_MEMBER when the
   * user never was one (rooms too: search covers a user's own stream).
   */
  private async searchableConversation(me: User, conversationId: string): Promise<string> {
    if (await this.store.getMember(conversationId, me.id)) return conversationId;
    const spans = await this.store.membershipSpans(conversationId);
    if (spans.some((s) => s.userId === me.id)) return conversationId;
    if (!(await this.store.getConversation(conversationId))) throw new AppError('CONVERSATION_NOT_FOUND');
    throw new AppError('NOT_A_MEMBER');
  }

  /** `from`: a user id or a username. A username may be all digits too: such a value names the user with that id first. */
  private async sender(from: string): Promise<string> {
    if (isId(from)) {
      const byId = await this.store.getUser(from);
      if (byId) return byId.id;
    }
    const byName = await this.store.getUserByUsername(accountKey(from));
    if (!byName) throw new AppError('USER_NOT_FOUND');
    return byName.id;
  }
}
