import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  launchBrowser,
  startServer,
  newPage,
  loginUi,
  contact,
  messageLog,
  composer,
  visible,
  shot,
  DESKTOP,
  PHONE,
  type Running,
  type Api,
} from './helpers.js';

/**
 * Every main screen at 1280×800 and 390×844, written to
 * test-results/screenshots/<screen>-<desktop|phone>.png, over a small but
 * lifelike data set.
 */
describe('screenshots of the main screens', () => {
  let browser: Browser;
  let srv: Running;
  const people: Record<string, Api> = {};
  let lobbyId = '';
  let groupId = '';

  async function person(username: string, displayName: string): Promise<Api> {
    const reg = await srv.server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { username, password: 'hubbub-pass-4821', displayName },
    });
    expect(reg.statusCode).toBe(201);
    const tok = await srv.server.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username, password: 'hubbub-pass-4821' } });
    const token = tok.json().token as string;
    const api: Api = {
      token,
      user: reg.json().user,
      async call(method, url, body) {
        const res = await srv.server.app.inject({
          method: method as 'GET',
          url,
          headers: { authorization: `Bearer ${token}` },
          ...(body === undefined ? {} : { payload: body as object }),
        });
        return { status: res.statusCode, body: (res.body ? res.json() : undefined) as any };
      },
    };
    people[username] = api;
    return api;
  }

  async function friends(a: Api, b: Api): Promise<void> {
    await a.call('POST', '/api/v1/friends/requests', { username: b.user.username });
    const reqs = await b.call('GET', '/api/v1/friends/requests');
    const req = reqs.body.incoming.find((x: any) => x.from.id === a.user.id);
    await b.call('POST', `/api/v1/friends/requests/${req.id}/accept`);
  }

  async function say(who: Api, conv: string, body: string): Promise<void> {
    const r = await who.call('POST', `/api/v1/conversations/${conv}/messages`, { body });
    expect(r.status, body).toBe(201);
  }

  async function direct(a: Api, b: Api): Promise<string> {
    return (await a.call('POST', `/api/v1/direct/${b.user.username}`)).body.conversation.id;
  }

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
    const alice = await person('alice', 'Alice Chen');
    const bob = await person('bob', 'Bob Martin');
    const carol = await person('carol', 'Carol Diaz');
    const dan = await person('dan', 'Dan Okafor');
    const erin = await person('erin', 'Erin Walsh');
    await person('frank', 'Frank Li');
    for (const f of [bob, carol, dan]) await friends(alice, f);
    await friends(bob, carol);
    await erin.call('POST', '/api/v1/friends/requests', { username: 'alice' });

    const rooms = await alice.call('GET', '/api/v1/rooms');
    lobbyId = rooms.body.rooms.find((r: any) => r.name === 'lobby').id;
    for (const p of [alice, bob, carol, dan, erin]) await p.call('POST', `/api/v1/conversations/${lobbyId}/join`);
    await say(erin, lobbyId, 'Hi everyone! First time here 👋');
    await say(dan, lobbyId, 'Welcome, Erin! This is the lobby — anyone can read it, even without an account.');
    await say(carol, lobbyId, 'Does anyone know a good place for ramen near the station?');
    await say(bob, lobbyId, 'Ichiran on 5th street. Go early, the queue gets long after 7.');
    await say(carol, lobbyId, 'Perfect, thanks!');
    await say(alice, lobbyId, 'Reminder: the design review moved to Thursday 15:00 📌');
    await say(dan, lobbyId, 'Noted 👍');
    const design = (await alice.call('POST', '/api/v1/conversations', { kind: 'room', name: 'design' })).body.conversation.id;
    await bob.call('POST', `/api/v1/conversations/${design}/join`);
    await say(bob, design, 'New icon set is up for review.');
    await (await person('gina', 'Gina Rossi')).call('POST', '/api/v1/conversations', { kind: 'room', name: 'music' });

    const ab = await direct(alice, bob);
    const lines: Array<[Api, string]> = [
      [bob, 'Hey Alice! Are we still on for Saturday?'],
      [alice, 'Yes! I booked the cabin by the lake 🏡'],
      [alice, 'Check-in is at 3pm, so we could leave around noon.'],
      [bob, 'Perfect. I can drive — my car fits four plus the bags.'],
      [bob, 'Should I bring the board games?'],
      [alice, 'Absolutely 🎲 and the coffee grinder ☕'],
      [bob, 'Deal. I will pick you up at 12:00 sharp.'],
      [alice, 'See you then!\nAnd do not forget the snacks 🍪'],
    ];
    for (const [who, text] of lines) await say(who, ab, text);

    const ac = await direct(carol, alice);
    await say(carol, ac, 'Did you see the photos from last weekend?');
    await say(carol, ac, 'The sunset one is my favourite 🌅');
    const ad = await direct(dan, alice);
    await say(dan, ad, 'Thanks for the help with the slides yesterday!');
    await say(alice, ad, 'Any time 🙂');

    const g = await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'Weekend trip 🏕️', members: ['bob', 'carol'] });
    groupId = g.body.conversation.id;
    await say(alice, groupId, 'Packing list is in the shared doc.');
    await say(bob, groupId, 'Added sleeping bags and a first-aid kit.');
    await say(carol, groupId, 'I will bring the camera and a tripod 📷');
    await say(bob, groupId, 'Weather says sunny all weekend ☀️');
    await say(carol, groupId, 'Best news all week!');
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  async function signedIn(size: 'desktop' | 'phone', username: string): Promise<{ page: Page; close: () => Promise<void> }> {
    const opts = size === 'desktop' ? { viewport: DESKTOP } : { viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
    const { page, context } = await newPage(browser, srv.url, opts);
    await loginUi(page, username);
    return { page, close: () => context.close() };
  }

  for (const size of ['desktop', 'phone'] as const) {
    it(`${size}: public lobby, log in, register`, async () => {
      const opts = size === 'desktop' ? { viewport: DESKTOP } : { viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
      const { page, context } = await newPage(browser, srv.url, opts);
      await page.goto('/');
      await page.waitForFunction(() => document.documentElement.classList.contains('app-ready'));
      await visible(messageLog(page).getByText('Noted 👍'));
      await shot(page, `lobby-public-${size}`);
      await page.goto('/login');
      await visible(page.getByRole('button', { name: 'Log in', exact: true }));
      await shot(page, `login-${size}`);
      await page.goto('/register');
      await page.getByLabel('Username', { exact: true }).fill('zoe');
      await page.getByLabel('Password', { exact: true }).fill('short');
      await page.getByRole('button', { name: 'Register', exact: true }).click();
      await visible(page.getByText('Use at least 8 characters for your password.'));
      await shot(page, `register-${size}`);
      await context.close();
    });

    it(`${size}: contacts, a direct chat with typing, a group, emoji`, async () => {
      // Bob is online (presence) and typing.
      const bob = await signedIn('desktop', 'bob');
      const { page, close } = await signedIn(size, 'alice');
      await visible(contact(page, 'Bob Martin'));
      await page.waitForTimeout(300);
      await shot(page, `contacts-${size}`);

      await contact(page, 'Bob Martin').getByRole('button').click();
      await visible(page.getByRole('heading', { name: 'Chatting with Bob Martin' }));
      await visible(messageLog(page).getByText('Deal. I will pick you up at 12:00 sharp.'));
      await contact(bob.page, 'Alice Chen').getByRole('button').click();
      await composer(bob.page).pressSequentially('On my w', { delay: 20 });
      await visible(page.getByText('Bob Martin is typing…'));
      await composer(page).fill('Can’t wait!');
      await shot(page, `chat-direct-${size}`);

      await page.getByRole('button', { name: 'Emoji', exact: true }).click();
      await visible(page.getByRole('button', { name: 'thumbs up' }));
      await shot(page, `emoji-${size}`);
      await page.keyboard.press('Escape');

      if (size === 'phone') await page.getByRole('button', { name: 'Back to chats' }).click();
      await page.getByRole('tab', { name: /^Groups/ }).click();
      await page.waitForTimeout(100);
      if (size === 'phone') await shot(page, `groups-tab-${size}`);
      await contact(page, 'Weekend trip 🏕️').getByRole('button').click();
      await visible(messageLog(page).getByText('Best news all week!'));
      await shot(page, `chat-group-${size}`);

      if (size === 'desktop') {
        await page.getByRole('tab', { name: /^Groups/ }).click();
        await page.getByRole('button', { name: 'New group' }).click();
        await page.getByLabel('Group name').fill('Book club');
        await page.getByRole('checkbox', { name: 'Carol Diaz' }).check();
        await shot(page, `new-group-${size}`);
        await page.keyboard.press('Escape');
      }
      await close();
      await bob.close();
    });

    it(`${size}: people and rooms`, async () => {
      const { page, close } = await signedIn(size, 'alice');
      await page.goto('/people');
      await visible(page.getByRole('list', { name: 'Incoming friend requests' }));
      await page.getByLabel('Search people').fill('fr');
      await visible(page.getByRole('button', { name: 'Add Frank Li as a friend' }));
      await shot(page, `people-${size}`);
      await page.goto('/rooms');
      await visible(page.getByRole('button', { name: 'Join #music' }));
      await shot(page, `rooms-${size}`);
      await page.goto(`/c/${lobbyId}`);
      await visible(messageLog(page).getByText('Noted 👍'));
      await shot(page, `chat-room-${size}`);
      await close();
    });
  }
});
