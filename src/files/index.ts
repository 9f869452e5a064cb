import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import type { BlobStore } from './blob-store.js';

/**
 * The file store the configuration names (fileStore: disk under dataDir/files,
 * postgres in the database, auto = postgres when databaseUrl is set).
 * SKELETON — issue 14's files helper replaces this.
 */
export async function openBlobStore(_config: Readonly<Config>, _store: Store): Promise<BlobStore> {
  const missing = async (): Promise<never> => {
    throw new Error('file store not implemented yet');
  };
  return { kind: 'disk', put: missing, size: missing, read: missing, delete: missing, listOlderThan: missing, close: async () => {} };
}
