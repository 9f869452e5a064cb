import { describe, expect, test } from 'vitest';
import { kindForCode } from '../../client/transports/transport.js';
import { ERRORS, closeCodeFor, type ErrorCode } from '../../src/domain/errors.js';

describe('the SDK reads an error code as the server means it', () => {
  test('a revoked credential or a deleted account stops reconnecting on every transport', () => {
    expect(kindForCode('SESSION_REVOKED')).toBe('fatal');
    expect(kindForCode('ACCOUNT_DELETED')).toBe('fatal');
  });

  test('every code whose WebSocket close says "do not reconnect" is fatal for SSE and long poll too', () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const close = (ERRORS[code] as { closeCode?: number }).closeCode;
      if (close !== undefined && close >= 4500) expect(kindForCode(code), code).toBe('fatal');
    }
    expect(closeCodeFor('SESSION_REVOKED')).toBe(4504);
  });

  test('outages and slow consumers are retried, an expired cursor resets', () => {
    expect(kindForCode('STORE_UNAVAILABLE')).toBe('retry');
    expect(kindForCode('STORAGE_FULL')).toBe('retry');
    expect(kindForCode('SLOW_CONSUMER')).toBe('retry');
    expect(kindForCode('CURSOR_EXPIRED')).toBe('reset');
  });
});
