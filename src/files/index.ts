import path from 'node:path';
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import type { BlobStore } from './blob-store.js';
import { DiskBlobStore } from './disk.js';

/**
 * The file store the configuration names: `disk` under dataDir/files,
 * `postgres` in the database (every node serves every file), `auto` =
 * postgres when databaseUrl is set. `postgres` without a databaseUrl is a
 * configuration error, said at start.
 */
export async function openBlobStore(config: Readonly<Config>, _store: Store): Promise<BlobStore> {
  const kind = config.fileStore === 'auto' ? (config.databaseUrl ? 'postgres' : 'disk') : config.fileStore;
  if (kind === 'disk') return DiskBlobStore.open(path.join(config.dataDir, 'files'));
  if (!config.databaseUrl) throw new Error('fileStore "postgres" needs a databaseUrl (a PostgreSQL database to keep the files in).');
  const { PostgresBlobStore } = await import('./postgres.js');
  return PostgresBlobStore.open(config.databaseUrl, config.databaseSchema ? { schema: config.databaseSchema } : {});
}
