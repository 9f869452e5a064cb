import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  launchBrowser,
  startServer,
  newPage,
  loginUi,
  contact,
  messageLog,
  sendUi,
  storedBodies,
  visible,
  hidden,
  eventually,
  shot,
  userApi,
  befriend,
  type Api,
  type Running,
} from './helpers.js';

describe('a user who was away', () => {
  let browser: Browser;
  let srv: Running;
  const people: Record<string, Api> = {};

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('finds the messages sent while the page was closed, with an unread badge', async () => {
    const alice = await userApi(srv.server, 'alice');
    const bob = await userApi(srv.server, 'bob');
    await befriend(alice, bob);
    people.alice = alice;

    // Bob was here once, then closed the page.
    const b1 = await newPage(browser, srv.url);
    await loginUi(b1.page, 'bob');
    await visible(contact(b1.page, 'alice'));
    await b1.context.close();

    // Alice writes three messages while Bob is away.
    const a = await newPage(browser, srv.url);
    await loginUi(a.page, 'alice');
    await contact(a.page, 'bob').getByRole('button').click();
    await visible(a.page.getByRole('heading', { name: 'Chatting with bob' }));
    for (const t of ['are you there?', 'call me when you can', 'bring snacks 🍪']) await sendUi(a.page, t);
    await eventually(() => storedBodies(a.page), ['are you there?', 'call me when you can', 'bring snacks 🍪']);

    // Bob comes back in a fresh browser: badge, preview and tab title say so.
    const b2 = await newPage(browser, srv.url);
    await loginUi(b2.page, 'bob');
    const entry = contact(b2.page, 'alice');
    await eventually(() => entry.locator('.badge').textContent(), '3');
    expect(await entry.locator('.contact-preview').textContent()).toBe('bring snacks 🍪');
    await eventually(() => b2.page.title(), '(3) hubbub');
    await entry.getByRole('button').click();
    await eventually(() => storedBodies(b2.page), ['are you there?', 'call me when you can', 'bring snacks 🍪']);
    await visible(messageLog(b2.page).locator('.unread-line'));
    await hidden(entry.locator('.badge'));

    // The read pointer moved on the server too.
    const convs = await bob.call('GET', '/api/v1/conversations');
    expect(convs.body.conversations[0].unread).toBe(0);
    await a.context.close();
    await b2.context.close();
  });

  it('a message that cannot go out shows as failed, offers Retry, and is stored once', async () => {
    const { page, context } = await newPage(browser, srv.url);
    await loginUi(page, 'bob');
    await contact(page, 'alice').getByRole('button').click();
    await visible(page.getByRole('heading', { name: 'Chatting with alice' }));
    const before = await storedBodies(page);

    await context.setOffline(true);
    await sendUi(page, 'stuck in the tunnel');
    const msg = messageLog(page).locator('.msg[data-state]', { hasText: 'stuck in the tunnel' });
    await visible(msg.getByText('Sending…'));
    // No answer for a while: failed, with Retry and Discard.
    await visible(msg.getByRole('button', { name: 'Retry' }), 20_000);
    await visible(msg.getByRole('button', { name: 'Discard' }));
    await shot(page, 'chat-offline-failed-desktop');
    await msg.getByRole('button', { name: 'Retry' }).click();
    await visible(msg.getByText('Sending…'));

    await context.setOffline(false);
    await eventually(() => storedBodies(page), [...before, 'stuck in the tunnel'], 20_000);
    expect(await messageLog(page).locator('.msg[data-state]').count()).toBe(0);
    const stored = (
      await people.alice!.call(
        'GET',
        `/api/v1/conversations/${(await people.alice!.call('GET', '/api/v1/conversations')).body.conversations[0].id}/messages`,
      )
    ).body.messages;
    expect(stored.filter((m: { body: string }) => m.body === 'stuck in the tunnel').length).toBe(1);
    await context.close();
  });
});
