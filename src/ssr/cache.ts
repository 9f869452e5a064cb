/**
 * Rendered public-room pages, reused while nothing has changed. A page is
 * keyed by the path's room name and stamped with the store's head position
 * (every stored change — a message, a join, a new room, a deleted account —
 * takes the next position, on any node) and the build it was rendered with:
 * a page is served again only while no event at all has been stored since.
 * Checking costs one `headSeq()` query instead of four queries and a render
 * (docs/benchmarks.md, "Server-rendered public rooms").
 *
 * Two changes move no position: a new display name and the web app being
 * rebuilt. The build is part of the stamp; a renamed sender shows on the next
 * event, or after MAX_AGE_MS at most.
 */

/** How long a page may be reused on a server where nothing is written. */
export const MAX_AGE_MS = 10_000;
/**
 * How many rooms' pages are kept (≈ 35 KB each with 50 messages). Only pages
 * of existing rooms are kept, so made-up room names cannot fill it; past the
 * bound the page used longest ago goes.
 */
export const MAX_PAGES = 128;

interface Page {
  head: number;
  build: string;
  at: number;
  html: string;
  /** The page compressed per encoding, filled on first use (./compress.ts): a reused page is not compressed again. */
  encoded: Map<string, Buffer>;
}

/** A page as served again: its HTML and its compressed forms so far. */
export type CachedPage = Pick<Page, 'html' | 'encoded'>;

export class PageCache {
  private readonly pages = new Map<string, Page>();

  constructor(
    private readonly maxPages = MAX_PAGES,
    private readonly maxAgeMs = MAX_AGE_MS,
    private readonly clock = () => performance.now(),
  ) {} // an age: monotonic, a wall-clock jump must not pin or drop pages

  /** The page rendered for `room` at this head with this build, if it is still fresh. */
  get(room: string, head: number, build: string): string | null {
    return this.getPage(room, head, build)?.html ?? null;
  }

  getPage(room: string, head: number, build: string): CachedPage | null {
    const p = this.pages.get(room);
    if (!p || p.head !== head || p.build !== build || this.clock() - p.at > this.maxAgeMs) return null;
    // Map order is insertion order: re-inserting keeps the most recently used last.
    this.pages.delete(room);
    this.pages.set(room, p);
    return p;
  }

  set(room: string, head: number, build: string, html: string): CachedPage {
    this.pages.delete(room);
    const page = { head, build, at: this.clock(), html, encoded: new Map<string, Buffer>() };
    this.pages.set(room, page);
    while (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value!);
    return page;
  }

  get size(): number {
    return this.pages.size;
  }
}
