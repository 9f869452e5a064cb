import { describe, expect, test } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { toAppError } from '../../src/edge/errors.js';
import { classifyStoreError, isStoreUnavailable } from '../../src/store/failures.js';

/**
 * The drivers' failure shapes, as pg, pg-pool, Node's sockets and
 * better-sqlite3 report them. The live conditions are in
 * test/integration/outage-sqlite.test.ts and outage-postgres.test.ts.
 */
const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyStoreError', () => {
  test.each([
    ['ECONNREFUSED', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', withCode('ECONNRESET')],
    ['ETIMEDOUT', withCode('ETIMEDOUT')],
    ['EPIPE', withCode('EPIPE')],
    ['57P01 admin_shutdown', withCode('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash_shutdown', withCode('57P02')],
    ['57P03 cannot_connect_now', withCode('57P03', 'the database system is starting up')],
    ['08006 connection_failure', withCode('08006')],
    ['08001 unable to connect', withCode('08001')],
    ['53300 too_many_connections', withCode('53300')],
    ['25006 read-only standby', withCode('25006')],
    ['pg: Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['pg: Connection terminated due to connection timeout', new Error('Connection terminated due to connection timeout')],
    ['pg-pool timeout', new Error('timeout exceeded when trying to connect')],
    [
      'AggregateError of refused connects',
      Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''), { code: undefined }),
    ],
    ['SQLITE_BUSY after busy_timeout', withCode('SQLITE_BUSY', 'database is locked')],
    ['SQLITE_LOCKED', withCode('SQLITE_LOCKED')],
    ['SQLITE_IOERR_WRITE', withCode('SQLITE_IOERR_WRITE')],
  ])('%s → STORE_UNAVAILABLE', (_name, err) => {
    expect(classifyStoreError(err)).toBe('STORE_UNAVAILABLE');
    expect(isStoreUnavailable(err)).toBe(true);
    const app = toAppError(err);
    expect([app.code, app.status]).toEqual(['STORE_UNAVAILABLE', 503]);
  });

  test.each([
    ['SQLITE_FULL', withCode('SQLITE_FULL', 'database or disk is full')],
    ['ENOSPC', withCode('ENOSPC')],
    ['PG 53100 disk_full', withCode('53100', 'could not extend file')],
  ])('%s → STORAGE_FULL', (_name, err) => {
    expect(classifyStoreError(err)).toBe('STORAGE_FULL');
    expect(isStoreUnavailable(err)).toBe(false);
    const app = toAppError(err);
    expect([app.code, app.status]).toEqual(['STORAGE_FULL', 507]);
  });

  test.each([
    ['a constraint violation', withCode('23505', 'duplicate key')],
    ['SQLITE_CONSTRAINT', withCode('SQLITE_CONSTRAINT_UNIQUE')],
    ['a syntax error', withCode('42601')],
    ['a plain bug', new TypeError('undefined is not a function')],
    ['nothing', undefined],
  ])('%s is not an outage: INTERNAL', (_name, err) => {
    expect(classifyStoreError(err)).toBe(null);
    expect(toAppError(err).code).toBe('INTERNAL');
  });

  test('an AppError passes through unchanged', () => {
    const e = new AppError('NOT_A_MEMBER');
    expect(toAppError(e)).toBe(e);
    expect(classifyStoreError(e)).toBe(null);
  });
});
