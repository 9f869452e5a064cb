import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { storeContract } from './store.contract.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-store-'));
let n = 0;

storeContract('store contract: sqlite', async () => new SqliteStore(path.join(dir, `store-${n++}.db`)));

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
