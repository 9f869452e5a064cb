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
  visible,
  eventually,
  userApi,
  befriend,
  storedBodies,
  type Running,
} from './helpers.js';

describe('a group of three', () => {
  let browser: Browser;
  let srv: Running;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('is created, grows, chats and is left', async () => {
    const [alice, bob, carol] = await Promise.all([userApi(srv.server, 'alice'), userApi(srv.server, 'bob'), userApi(srv.server, 'carol')]);
    await befriend(alice, bob);
    await befriend(alice, carol);

    const a = await newPage(browser, srv.url);
    const b = await newPage(browser, srv.url);
    const c = await newPage(browser, srv.url);
    await Promise.all([loginUi(a.page, 'alice'), loginUi(b.page, 'bob'), loginUi(c.page, 'carol')]);

    // Alice creates "Weekend trip" with Bob.
    await a.page.getByRole('tab', { name: /^Groups/ }).click();
    await a.page.getByRole('button', { name: 'New group' }).click();
    await a.page.getByLabel('Group name').fill('Weekend trip');
    await a.page.getByRole('checkbox', { name: 'bob' }).check();
    await a.page.getByRole('button', { name: 'Create group' }).click();
    await visible(a.page.getByRole('heading', { name: 'Weekend trip' }));
    await visible(a.page.locator('.chat-sub', { hasText: 'You, bob' }));

    // …then adds Carol.
    await a.page.getByRole('button', { name: 'Add member' }).click();
    await a.page.getByRole('button', { name: 'Add carol' }).click();
    await visible(a.page.locator('.chat-sub', { hasText: 'You, bob, carol' }));

    // Bob and Carol see the group appear in their Groups tab.
    for (const p of [b.page, c.page]) {
      await p.getByRole('tab', { name: /^Groups/ }).click();
      await visible(contact(p, 'Weekend trip'));
    }

    await sendUi(a.page, 'Tent or cabin?');
    await eventually(() => contact(b.page, 'Weekend trip').locator('.badge').textContent(), '1');
    await eventually(() => contact(c.page, 'Weekend trip').locator('.badge').textContent(), '1');

    await contact(b.page, 'Weekend trip').getByRole('button').click();
    await contact(c.page, 'Weekend trip').getByRole('button').click();
    await sendUi(b.page, 'Cabin!');
    await sendUi(c.page, 'Cabin, obviously 🏡');

    const all = ['Tent or cabin?', 'Cabin!', 'Cabin, obviously 🏡'];
    for (const p of [a.page, b.page, c.page]) {
      await eventually(async () => (await storedBodies(p)).sort(), [...all].sort());
    }
    // Senders are named on others' screens.
    await visible(messageLog(a.page).locator('.msg-sender', { hasText: 'carol' }));

    // Carol leaves; the others see the member list shrink.
    await c.page.getByRole('button', { name: 'Leave group' }).click();
    await visible(c.page.getByText('You left “Weekend trip”.'));
    expect(await contact(c.page, 'Weekend trip').count()).toBe(0);
    await visible(a.page.locator('.chat-sub', { hasText: /^You, bob$/ }));
    await sendUi(b.page, 'Carol left 😢');
    await visible(messageLog(a.page).getByText('Carol left 😢'));

    for (const x of [a, b, c]) {
      expect(x.errors).toEqual([]);
      await x.context.close();
    }
    void carol;
  });
});
