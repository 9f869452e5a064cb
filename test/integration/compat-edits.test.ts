import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/server.js';
import { testServer, userApi, type Api } from '../helpers/server.js';

/**
 * What an edit or a delete does to the seeds' clients (docs/compat.md): the
 * legacy protocols only ever append, so a client that showed a message keeps
 * it as it showed it; but whoever (re)loads afterwards gets a message as it
 * now is, and a deleted one not at all — never its body, never an empty line.
 */
describe('legacy adapters after an edit or a delete', () => {
  let s: Server;
  let alice: Api;
  let lobbyId: string;

  beforeAll(async () => {
    s = await testServer();
    alice = await userApi(s, 'alice');
    lobbyId = (await alice.call('GET', '/api/v1/rooms')).body.rooms.find((r: any) => r.name === 'lobby').id;
    await alice.call('POST', `/api/v1/conversations/${lobbyId}/join`);
  });
  afterAll(() => s.close());

  const say = async (body: string) => (await alice.call('POST', `/api/v1/conversations/${lobbyId}/messages`, { body })).body.message;
  /** The wall's first poll (no cursor): the recent messages at once. */
  const wall = async () => {
    const r = await s.app.inject({ method: 'POST', url: '/updatemsg', payload: {} });
    return JSON.parse(r.body).history as Array<{ id: string; text: string }>;
  };
  const chatdemoAfter = async (cursor: string) => {
    const r = await s.app.inject({
      method: 'POST',
      url: '/a/message/updates',
      headers: { cookie: '_xsrf=tok', 'content-type': 'application/x-www-form-urlencoded' },
      payload: `cursor=${cursor}&_xsrf=tok`,
    });
    return JSON.parse(r.body).messages as Array<{ id: string; body: string }>;
  };

  it('a deleted lobby message is gone from the wall, the chatdemo page and a poll from before it', async () => {
    const before = await say('just before');
    await say('a secret said in the lobby');
    const secret = (await wall()).at(-1)!;
    expect(secret.text).toBe('a secret said in the lobby');
    const beforeId = (await wall()).find((m) => m.text === 'just before')!.id;
    const target = (await alice.call('GET', `/api/v1/rooms/lobby/messages?limit=5`)).body.messages.at(-1);
    expect((await alice.call('DELETE', `/api/v1/messages/${target.id}`)).status).toBe(200);
    await say('just after');
    const texts = (await wall()).map((m) => m.text);
    expect(texts).toContain('just before');
    expect(texts).toContain('just after');
    expect(texts).not.toContain('a secret said in the lobby');
    expect(texts).not.toContain(''); // no empty line where it was
    const polled = await chatdemoAfter(beforeId);
    expect(polled.map((m) => m.body)).toEqual(['just after']);
    const page = await s.app.inject({ method: 'GET', url: '/chatdemo' });
    expect(page.body).not.toContain('a secret said in the lobby');
    expect(before.id).toBeTruthy();
  });

  it('a deleted account’s lobby messages are gone from the wall', async () => {
    const bob = await userApi(s, 'bob');
    await bob.call('POST', `/api/v1/conversations/${lobbyId}/join`);
    await bob.call('POST', `/api/v1/conversations/${lobbyId}/messages`, { body: 'bob was here' });
    expect((await wall()).map((m) => m.text)).toContain('bob was here');
    expect((await bob.call('DELETE', '/api/v1/me', { password: 'hubbub-pass-4821' })).status).toBe(200);
    expect((await wall()).map((m) => m.text)).not.toContain('bob was here');
  });

  it('an edited lobby message reads as edited on the next load', async () => {
    const m = await say('teh old text');
    expect((await alice.call('PATCH', `/api/v1/messages/${m.id}`, { body: 'the new text' })).status).toBe(200);
    const texts = (await wall()).map((x) => x.text);
    expect(texts).toContain('the new text');
    expect(texts).not.toContain('teh old text');
  });
});
