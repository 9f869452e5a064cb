import { reactive } from 'vue';
import { navigate } from '../router';
import { errorInfo, sdk } from '../sdk';
import type { SearchParams, SearchResult } from '../types';
import { state } from './app-state';
import { searchParams, withPage, type SearchFilters } from './search';
import { toast } from './toasts';

/**
 * The sidebar's message search: the box's text and filters, the answers,
 * paging. Typing asks after a pause (DEBOUNCE_MS), Enter at once; an answer
 * to an older question than the last one asked is dropped (and its request
 * aborted), so results never flicker back to an earlier query.
 */
export const search = reactive({
  query: '',
  filters: { here: false, has: null } as SearchFilters,
  results: [] as SearchResult[],
  nextCursor: null as string | null,
  /** The question the results answer; null before any answer. */
  asked: null as SearchParams | null,
  loading: false,
  loadingMore: false,
  error: null as string | null,
});

/** Long enough to skip the keystrokes of a word in progress, short enough to feel live. */
const DEBOUNCE_MS = 300;

let timer: ReturnType<typeof setTimeout> | null = null;
let asking = 0;
let inFlight: AbortController | null = null;

/** The box or a filter changed: search after a pause. */
export function searchSoon(): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => void searchNow(), DEBOUNCE_MS);
}

function question(cursor?: string): SearchParams | null {
  return searchParams(search.query, search.filters, state.activeId, cursor);
}

/** Asks now (Enter, or after the pause); an empty box clears the results. */
export async function searchNow(): Promise<void> {
  if (timer) clearTimeout(timer);
  timer = null;
  const params = question();
  const mine = ++asking;
  inFlight?.abort();
  inFlight = null;
  search.loadingMore = false;
  if (!params) {
    Object.assign(search, { results: [], nextCursor: null, asked: null, loading: false, error: null });
    return;
  }
  const ctl = (inFlight = new AbortController());
  search.loading = true;
  search.error = null;
  try {
    const page = await sdk.search(params, ctl.signal);
    if (mine !== asking) return;
    Object.assign(search, { results: page.results, nextCursor: page.nextCursor, asked: params });
  } catch (err) {
    if (mine !== asking) return;
    Object.assign(search, { results: [], nextCursor: null, asked: params, error: errorInfo(err).message });
  } finally {
    if (mine === asking) {
      search.loading = false;
      inFlight = null;
    }
  }
}

/** The next page of the same question, appended. */
export async function loadMoreResults(): Promise<void> {
  const asked = search.asked;
  if (!asked || !search.nextCursor || search.loadingMore || search.loading) return;
  const mine = asking;
  search.loadingMore = true;
  try {
    const page = await sdk.search({ ...asked, cursor: search.nextCursor }, new AbortController().signal);
    if (mine !== asking) return;
    Object.assign(search, { results: withPage(search.results, page.results), nextCursor: page.nextCursor });
  } catch (err) {
    if (mine === asking) toast(`Could not load more results: ${errorInfo(err).message}`, 'error');
  } finally {
    if (mine === asking) search.loadingMore = false;
  }
}

export function clearSearch(): void {
  search.query = '';
  void searchNow();
}

/** Opens the conversation of a result at that message (the page around it, scrolled to it, flashed). */
export function openResult(r: SearchResult): void {
  const id = r.message.conversationId;
  if (!state.conversations[id]) {
    toast('You are no longer in that conversation.', 'error');
    return;
  }
  state.jumpTo = { conversationId: id, messageId: r.message.id };
  navigate(`/c/${id}`);
}
