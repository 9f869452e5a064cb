import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { expectNoSeriousViolations } from './axe.js';
import {
  launchBrowser,
  startServer,
  newPage,
  loginUi,
  contact,
  messageLog,
  visible,
  hidden,
  shot,
  userApi,
  befriend,
  uploadApi,
  DESKTOP,
  PHONE,
  type Running,
  type Api,
} from './helpers.js';
import { landscapePng } from './samples.js';

/**
 * Every screen, in the light and the dark theme, at 1280×800 and 390×844:
 * axe-core finds no serious or critical violation. Each screen is also saved
 * as test-results/screenshots/theme-<theme>-<screen>-<size>.png to be looked at.
 */
describe('accessibility and themes', () => {
  let browser: Browser;
  let srv: Running;
  let alice: Api;
  let lobbyId = '';
  let groupId = '';

  async function say(who: Api, conv: string, body: string, attachments?: string[]): Promise<void> {
    const r = await who.call('POST', `/api/v1/conversations/${conv}/messages`, attachments ? { body, attachments } : { body });
    expect(r.status, body).toBe(201);
  }

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
    alice = await userApi(srv.server, 'alice');
    const bob = await userApi(srv.server, 'bob');
    const carol = await userApi(srv.server, 'carol');
    await befriend(alice, bob);
    await befriend(alice, carol);
    await (await userApi(srv.server, 'erin')).call('POST', '/api/v1/friends/requests', { username: 'alice' });

    const rooms = await alice.call('GET', '/api/v1/rooms');
    lobbyId = rooms.body.rooms.find((r: any) => r.name === 'lobby').id;
    for (const p of [alice, bob, carol]) await p.call('POST', `/api/v1/conversations/${lobbyId}/join`);
    await say(carol, lobbyId, 'Hello from the lobby, @alice — see www.example.com');
    await say(bob, lobbyId, 'Welcome!');

    const ab = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id as string;
    await say(bob, ab, 'Are we still on for the cabin on Saturday?');
    await say(alice, ab, 'Yes! Here is the view 🏡');
    const image = await uploadApi(srv.server, alice.token, ab, await landscapePng(640, 480, 'sunset.png'));
    await say(alice, ab, 'The lake at sunset', [image.id]);
    await say(bob, ab, 'Lovely. See you at noon.');

    const g = await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'Weekend trip', members: ['bob', 'carol'] });
    groupId = g.body.conversation.id;
    await say(carol, groupId, 'I will bring the camera 📷');
    await say(bob, groupId, 'Sunny all weekend ☀️');
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  const sizes = {
    desktop: { viewport: DESKTOP },
    phone: { viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  } satisfies Record<string, BrowserContextOptions>;

  for (const size of ['desktop', 'phone'] as const) {
    for (const theme of ['light', 'dark'] as const) {
      const check = async (page: Page, screen: string) => {
        await expectNoSeriousViolations(page, `${screen} ${theme} ${size}`);
        await shot(page, `theme-${theme}-${screen}-${size}`);
      };

      it(`${size}, ${theme}: public room, log in, register`, async () => {
        const { page, context } = await newPage(browser, srv.url, { ...sizes[size], colorScheme: theme });
        await page.goto('/');
        await page.waitForFunction(() => document.documentElement.classList.contains('app-ready'));
        await visible(messageLog(page).getByText('Welcome!'));
        await check(page, 'public-room');
        await page.goto('/login');
        await visible(page.getByRole('button', { name: 'Log in', exact: true }));
        await check(page, 'login');
        await page.goto('/register');
        await page.getByLabel('Username', { exact: true }).fill('zoe');
        await page.getByLabel('Password', { exact: true }).fill('short');
        await page.getByRole('button', { name: 'Register', exact: true }).click();
        await visible(page.getByRole('alert').filter({ hasText: /password/i }));
        await check(page, 'register');
        await context.close();
      });

      it(`${size}, ${theme}: contacts, direct chat, image viewer, group, new group, room`, async () => {
        const { page, context } = await newPage(browser, srv.url, { ...sizes[size], colorScheme: theme });
        await loginUi(page, 'alice');
        await visible(contact(page, 'bob'));
        await check(page, 'contacts');

        await contact(page, 'bob').getByRole('button').click();
        await visible(messageLog(page).getByText('Lovely. See you at noon.'));
        await check(page, 'chat-direct');

        await messageLog(page).getByRole('link', { name: 'Open image sunset.png' }).click();
        const viewer = page.getByRole('dialog', { name: 'Image: sunset.png' });
        await visible(viewer);
        await check(page, 'image-viewer');
        await page.keyboard.press('Escape');
        await hidden(viewer);

        await page.goto(`/c/${groupId}`);
        await visible(messageLog(page).getByText('Sunny all weekend ☀️'));
        await check(page, 'chat-group');

        if (size === 'phone') await page.getByRole('button', { name: 'Back to chats' }).click();
        await page.getByRole('tab', { name: /^Groups/ }).click();
        await page.getByRole('button', { name: 'New group' }).click();
        await visible(page.getByLabel('Group name'));
        await check(page, 'new-group');
        await page.keyboard.press('Escape');

        await page.goto(`/c/${lobbyId}`);
        await visible(messageLog(page).getByText('Welcome!'));
        await check(page, 'chat-room');
        await context.close();
      });

      it(`${size}, ${theme}: people, rooms, search results`, async () => {
        const { page, context } = await newPage(browser, srv.url, { ...sizes[size], colorScheme: theme });
        await loginUi(page, 'alice');
        await page.goto('/people');
        await visible(page.getByRole('list', { name: 'Incoming friend requests' }));
        await check(page, 'people');
        await page.goto('/rooms');
        await visible(page.getByRole('heading', { name: /rooms/i }));
        await check(page, 'rooms');
        await page.goto('/');
        const search = page.getByRole('searchbox', { name: 'Search messages and contacts' });
        await search.fill('cabin');
        await search.press('Enter');
        await visible(page.locator('mark', { hasText: /cabin/i }));
        await check(page, 'search');
        await context.close();
      });
    }
  }

  /** Presses Tab until the element is focused (at most `limit` times): reaching it is part of what is tested. */
  async function tabTo(page: Page, target: Locator, limit = 40): Promise<void> {
    for (let i = 0; i < limit; i++) {
      await page.keyboard.press('Tab');
      if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    }
    const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
    throw new Error(`not reachable with Tab in ${limit} presses; focus is on ${focused}`);
  }

  it('with the keyboard only: log in, open a conversation, send a message', async () => {
    const { page, context } = await newPage(browser, srv.url);
    await page.goto('/login');
    await tabTo(page, page.getByLabel('Username', { exact: true }));
    await page.keyboard.type('alice');
    await tabTo(page, page.getByLabel('Password', { exact: true }));
    await page.keyboard.type('hubbub-pass-4821');
    await page.keyboard.press('Enter');
    await visible(page.getByRole('tablist', { name: 'Contact lists' }));

    await tabTo(page, contact(page, 'carol').getByRole('button'));
    await page.keyboard.press('Enter');
    await visible(page.getByRole('heading', { name: /carol/ }));
    await tabTo(page, page.getByLabel('Message', { exact: true }));
    await page.keyboard.type('Typed and sent with the keyboard alone');
    await page.keyboard.press('Enter');
    await visible(messageLog(page).locator('.msg:not([data-state]) .msg-body', { hasText: 'Typed and sent with the keyboard alone' }));
    await context.close();
  });

  it('a theme chosen earlier (theme.ts, localStorage) is applied on load, over the system preference', async () => {
    const { page, context } = await newPage(browser, srv.url, { colorScheme: 'light' });
    await page.addInitScript(() => localStorage.setItem('hubbub.theme', 'dark'));
    await page.goto('/login');
    await visible(page.getByRole('button', { name: 'Log in', exact: true }));
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).colorScheme)).toBe('dark');
    await context.close();
  });

  it('data-theme on <html> overrides the system preference, both ways', async () => {
    const { page, context } = await newPage(browser, srv.url, { colorScheme: 'dark' });
    await page.goto('/login');
    await visible(page.getByRole('button', { name: 'Log in', exact: true }));
    const surface = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const systemDark = await surface();
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'));
    const forcedLight = await surface();
    expect(forcedLight).not.toBe(systemDark);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.evaluate(() => document.documentElement.removeAttribute('data-theme'));
    expect(await surface()).toBe(forcedLight);
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    expect(await surface()).toBe(systemDark);
    await context.close();
  });
});
