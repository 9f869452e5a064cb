import pg from 'pg';
import { afterAll } from 'vitest';
import { PostgresStore } from '../../src/store/postgres.js';
import { storeMessagesContract } from './store-messages.contract.js';
import { findPostgres, storeContract } from './store.contract.js';

// Probed before the suite is defined, so an unreachable server shows up as a skipped suite named for the reason.
const { url, tried } = await findPostgres();
if (!url && process.env.HUBBUB_REQUIRE_SERVICES === '1') {
  throw new Error(`PostgreSQL unreachable at ${tried}, and HUBBUB_REQUIRE_SERVICES=1 requires it`);
}

// Every test gets a fresh schema; all are dropped at the end.
const run = `hubbub_test_${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];

storeContract(
  url ? 'store contract: postgres' : `store contract: postgres (PostgreSQL unreachable at ${tried})`,
  async () => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    return new PostgresStore(url!, { schema });
  },
  { skip: !url },
);

storeMessagesContract(
  url ? 'store contract, messages: postgres' : `store contract, messages: postgres (PostgreSQL unreachable at ${tried})`,
  async () => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    return new PostgresStore(url!, { schema });
  },
  { skip: !url },
);

afterAll(async () => {
  if (!url || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await client.end();
  }
});
