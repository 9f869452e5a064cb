import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { hashPassword } from '../../src/services/passwords.js';
import { testServer, userApi } from '../helpers/server.js';

/** Issue 11, item 5: the password and display-name rules, and changing one's own password. */
describe('passwords and display names', () => {
  let s: Server;
  const register = (username: string, password: string, displayName?: string) =>
    s.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { username, password, ...(displayName === undefined ? {} : { displayName }) },
    });
  const code = async (p: Promise<{ json(): any }>) => (await p).json().error?.code;

  beforeAll(async () => {
    s = await testServer();
  });
  afterAll(async () => {
    await s.close();
  });

  test("the review's weak passwords are refused, each with its own code, and create nothing", async () => {
    expect(await code(register('weak1', 'aaaaaaaa'))).toBe('WEAK_PASSWORD');
    expect(await code(register('weak1', '12345678a'))).toBe('PASSWORD_TOO_COMMON');
    expect(await code(register('weak1', 'qwertyui'))).toBe('PASSWORD_TOO_COMMON');
    expect(await code(register('weak1', 'password123'))).toBe('PASSWORD_TOO_COMMON');
    expect(await code(register('weak1', '        '))).toBe('INVALID_PASSWORD_CHARACTERS');
    expect(await code(register('weak1', '\u200b'.repeat(8)))).toBe('INVALID_PASSWORD_CHARACTERS');
    for (const ch of ['\u0000', '\u0007', '\u200c', '\u200d', '\u2060', '\ufeff', '\u202e', '\u2066']) {
      expect(await code(register('weak1', `good-pass-${ch}-7731`)), JSON.stringify(ch)).toBe('INVALID_PASSWORD_CHARACTERS');
    }
    expect(await code(register('weak1', 'x-weak1-long-enough'))).toBe('PASSWORD_CONTAINS_USERNAME');
    expect(await code(register('weak1', 'short'))).toBe('WEAK_PASSWORD');
    expect(await s.store.getUserByUsername('weak1')).toBeNull();
    expect((await register('weak1', 'zebra-lamp-91')).statusCode).toBe(201);
  });

  test('passwords are NFC-normalised: either form of "é" logs in, and a hash of an older raw form still matches', async () => {
    const nfd = 'cafe\u0301-lamp-9201';
    const nfc = nfd.normalize('NFC');
    expect((await register('accent', nfd)).statusCode).toBe(201);
    for (const pw of [nfc, nfd])
      expect(
        (await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'accent', password: pw } })).statusCode,
      ).toBe(201);

    // Before normalisation, a password typed in NFD was hashed as typed.
    const old = await userApi(s, 'olduser', 'zebra-lamp-91');
    await s.store.setPassword(old.user.id, await hashPassword(nfd, 1 << 10));
    expect(
      (await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'olduser', password: nfd } })).statusCode,
    ).toBe(201);
  });

  test("display names: NFC, no control, bidi-override or zero-width characters, and not another user's username", async () => {
    await userApi(s, 'admin', 'zebra-lamp-91');
    expect(await code(register('mallory', 'zebra-lamp-91', 'admin\u202egnp.exe'))).toBe('INVALID_DISPLAY_NAME');
    expect(await code(register('mallory', 'zebra-lamp-91', 'ad\u200bmin'))).toBe('INVALID_DISPLAY_NAME');
    expect(await code(register('mallory', 'zebra-lamp-91', 'bell\u0007'))).toBe('INVALID_DISPLAY_NAME');
    const posing = (await register('mallory', 'zebra-lamp-91', 'ADMIN')).json().error;
    expect(posing).toMatchObject({ code: 'INVALID_DISPLAY_NAME', message: expect.stringMatching(/another user's username/) });
    expect(await code(register('mallory', 'zebra-lamp-91', 'ａｄｍｉｎ'))).toBe('INVALID_DISPLAY_NAME');
    const ok = await register('mallory', 'zebra-lamp-91', 'Cafe\u0301 Mallory');
    expect(ok.statusCode).toBe(201);
    expect(ok.json().user.displayName).toBe('Café Mallory');

    const m = await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'mallory', password: 'zebra-lamp-91' } });
    const auth = { authorization: `Bearer ${m.json().token}` };
    const patch = (displayName: string) => s.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: auth, payload: { displayName } });
    expect(await code(patch('admin'))).toBe('INVALID_DISPLAY_NAME');
    expect(await code(patch('x\u2066y'))).toBe('INVALID_DISPLAY_NAME');
    expect((await patch('mallory')).json().user.displayName).toBe('mallory'); // one's own username is fine
    const renamed = await patch('  Mal  ');
    expect(renamed.json().user).toMatchObject({ username: 'mallory', displayName: 'Mal' });
    expect((await s.app.inject({ method: 'GET', url: '/api/v1/me', headers: auth })).json().user.displayName).toBe('Mal');
  });

  test("changing one's password needs the current one, ends every other session and token, and keeps this one", async () => {
    const pw = 'first-pass-5512';
    const dana = await userApi(s, 'dana', pw);
    const other = (await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'dana', password: pw } })).json().token;
    const me = (t: string) => s.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${t}` } });
    expect((await me(other)).statusCode).toBe(200);
    const change = (currentPassword: string, newPassword: string) =>
      s.app.inject({
        method: 'POST',
        url: '/api/v1/me/password',
        headers: { authorization: `Bearer ${dana.token}` },
        payload: { currentPassword, newPassword },
      });

    expect(await code(change('wrong-current-1', 'second-pass-7713'))).toBe('INVALID_CREDENTIALS');
    expect(await code(change(pw, 'password1'))).toBe('PASSWORD_TOO_COMMON');
    expect((await me(other)).statusCode).toBe(200); // refusals changed nothing

    expect((await change(pw, 'second-pass-7713')).statusCode).toBe(200);
    expect((await me(dana.token)).statusCode).toBe(200);
    expect((await me(other)).statusCode).toBe(401);
    const login = (password: string) => s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'dana', password } });
    expect((await login(pw)).statusCode).toBe(401);
    expect((await login('second-pass-7713')).statusCode).toBe(201);
  });

  test("an administrator's password change (the CLI's AuthService.setPassword) ends every session, logged as auth.revoked", async () => {
    const erin = await userApi(s, 'erin', 'first-pass-5512');
    const head = await s.store.headSeq();
    await s.auth.setPassword(' ERIN ', 'second-pass-7713');
    expect((await s.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${erin.token}` } })).statusCode).toBe(
      401,
    );
    const events = (await s.store.readEvents(head, 10)).map((e) => JSON.parse(e.payload));
    expect(events).toEqual([{ type: 'auth.revoked', userId: erin.user.id, tokenHash: null, reason: 'password' }]);
    await expect(s.auth.setPassword('erin', 'aaaaaaaa')).rejects.toMatchObject({ code: 'WEAK_PASSWORD' });
  });
});
