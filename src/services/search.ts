import type { Config } from '../config.js';
import type { Store } from '../store/store.js';

/**
 * Search over the messages a user can read, with highlighted snippets.
 * SKELETON — issue 14's search helper fills this.
 */
export class SearchService {
  constructor(
    protected readonly store: Store,
    protected readonly config: Readonly<Config>,
  ) {}
}
