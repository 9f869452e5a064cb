import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  launchBrowser,
  startServer,
  newPage,
  loginUi,
  contact,
  messageLog,
  composer,
  visible,
  hidden,
  eventually,
  userApi,
  befriend,
  storedBodies,
  type Api,
  type Running,
} from './helpers.js';

describe('a long conversation', () => {
  let browser: Browser;
  let srv: Running;
  let alice: Api;
  let bob: Api;
  let convId: string;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
    alice = await userApi(srv.server, 'alice');
    bob = await userApi(srv.server, 'bob');
    await befriend(alice, bob);
    convId = (await bob.call('POST', '/api/v1/direct/alice')).body.conversation.id;
    for (let i = 1; i <= 130; i++) {
      const r = await (i % 3 ? bob : alice).call('POST', `/api/v1/conversations/${convId}/messages`, { body: `message number ${i}` });
      expect(r.status).toBe(201);
    }
    // Alice has read everything so far.
    const last = (await alice.call('GET', `/api/v1/conversations/${convId}/messages?limit=1`)).body.messages[0].id;
    await alice.call('POST', `/api/v1/conversations/${convId}/read`, { upTo: last });
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('opens at the newest, loads older history on scrolling up, and raises a pill for news while scrolled up', async () => {
    const { page, context, errors } = await newPage(browser, srv.url);
    await loginUi(page, 'alice');
    await contact(page, 'bob').getByRole('button').click();
    const log = messageLog(page);
    await visible(log.getByText('message number 130', { exact: true }));
    expect((await storedBodies(page)).length).toBe(50);

    // At the bottom, new messages scroll into view by themselves.
    await bob.call('POST', `/api/v1/conversations/${convId}/messages`, { body: 'live one' });
    await visible(log.getByText('live one'));
    await eventually(() => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 60), true);

    // Scrolling to the top loads older pages, keeping the reader's place.
    await log.evaluate((el) => {
      el.scrollTop = 0;
    });
    await eventually(async () => (await storedBodies(page)).length >= 100, true);
    await log.evaluate((el) => {
      el.scrollTop = 0;
    });
    await visible(log.getByText('message number 1', { exact: true }), 15_000);
    await visible(log.getByText('This is the beginning of the conversation.'));
    expect((await storedBodies(page)).length).toBe(131);
    const bodies = await storedBodies(page);
    expect(bodies[0]).toBe('message number 1');
    expect(bodies.at(-1)).toBe('live one');

    // Scrolled up, a new message does not yank the view: a pill says so instead.
    const top = await log.evaluate((el) => el.scrollTop);
    await bob.call('POST', `/api/v1/conversations/${convId}/messages`, { body: 'while you read old stuff' });
    const pill = page.getByRole('button', { name: '1 new message' });
    await visible(pill);
    expect(Math.abs((await log.evaluate((el) => el.scrollTop)) - top)).toBeLessThan(5);
    // …and the conversation is not marked read while the news is out of sight.
    await page.waitForTimeout(500);
    const convs = await alice.call('GET', '/api/v1/conversations');
    expect(convs.body.conversations[0].unread).toBe(1);
    await pill.click();
    await hidden(pill);
    await visible(log.getByText('while you read old stuff'));
    await eventually(async () => (await alice.call('GET', '/api/v1/conversations')).body.conversations[0].unread, 0);

    // My own message always brings me to the bottom.
    await log.evaluate((el) => {
      el.scrollTop = 0;
    });
    await composer(page).fill('mine goes to the bottom');
    await composer(page).press('Enter');
    await visible(log.getByText('mine goes to the bottom'));
    await eventually(() => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 60), true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('notifies on the desktop while the tab is hidden, once opted in', async () => {
    const { page, context } = await newPage(browser, srv.url);
    await context.grantPermissions(['notifications'], { origin: srv.url });
    // Record notifications instead of showing them (an init script, not page script: CSP does not apply).
    await page.addInitScript(() => {
      const shown: Array<{ title: string; body: string }> = [];
      (window as unknown as { __shown: typeof shown }).__shown = shown;
      class FakeNotification {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        onclick: (() => void) | null = null;
        constructor(title: string, opts: { body?: string } = {}) {
          shown.push({ title, body: opts.body ?? '' });
        }
        close(): void {}
      }
      (window as unknown as { Notification: unknown }).Notification = FakeNotification;
    });
    await loginUi(page, 'alice');
    await page.getByRole('button', { name: 'Desktop notifications' }).click();
    await eventually(() => page.getByRole('button', { name: 'Desktop notifications' }).getAttribute('aria-pressed'), 'true');

    // Visible tab: no notification.
    await bob.call('POST', `/api/v1/conversations/${convId}/messages`, { body: 'seen in the tab' });
    await eventually(() => contact(page, 'bob').locator('.contact-preview').textContent(), 'seen in the tab');
    expect(await page.evaluate(() => (window as unknown as { __shown: unknown[] }).__shown.length)).toBe(0);

    // Hidden tab: one notification, named after the sender, and the title counts unread.
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await bob.call('POST', `/api/v1/conversations/${convId}/messages`, { body: 'ping while hidden' });
    await eventually(
      () => page.evaluate(() => (window as unknown as { __shown: unknown[] }).__shown),
      [{ title: 'bob', body: 'ping while hidden' }],
    );
    await eventually(() => page.title().then((t) => /^\(\d+\) hubbub$/.test(t)), true);
    await context.close();
  });

  it('is usable with the keyboard alone', async () => {
    const { page, context } = await newPage(browser, srv.url);
    await page.goto('/login');
    // The username field has focus as soon as the page is up.
    await eventually(() => page.evaluate(() => document.activeElement?.id), 'auth-username');
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type('hubbub-pass-4821');
    await page.keyboard.press('Enter');
    const tabs = page.getByRole('tablist', { name: 'Contact lists' });
    await visible(tabs);
    // Tabs: arrow keys move between Friends, Groups, Rooms.
    await page.getByRole('tab', { name: /^Friends/ }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: /^Groups/ }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByRole('tab', { name: /^Friends/ }).getAttribute('aria-selected')).toBe('true');
    // Tab into the list, Enter opens the conversation, focus lands in the composer.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => !!document.activeElement?.closest('li[aria-label="bob"]'))) break;
    }
    await page.keyboard.press('Enter');
    await visible(page.getByRole('heading', { name: 'Chatting with bob' }));
    await eventually(() => page.evaluate(() => document.activeElement?.id), 'composer-input');
    await page.keyboard.type('typed, not clicked');
    await page.keyboard.press('Enter');
    await visible(messageLog(page).locator('.msg:not([data-state])').getByText('typed, not clicked'));
    // The emoji grid: open from the keyboard, arrows move, Enter inserts, Escape closes.
    await page.getByRole('button', { name: 'Emoji', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    expect(await composer(page).inputValue()).toBe('😂');
    await hidden(page.getByRole('group', { name: 'Emoji' }));
    await eventually(() => page.evaluate(() => document.activeElement?.id), 'composer-input');
    // Escape closes the grid without picking.
    await page.getByRole('button', { name: 'Emoji', exact: true }).focus();
    await page.keyboard.press('Enter');
    await visible(page.getByRole('group', { name: 'Emoji' }));
    await page.keyboard.press('Escape');
    await hidden(page.getByRole('group', { name: 'Emoji' }));
    await eventually(() => page.evaluate(() => document.activeElement?.id), 'composer-input');
    expect(await composer(page).inputValue()).toBe('😂');
    await context.close();
  });
});
