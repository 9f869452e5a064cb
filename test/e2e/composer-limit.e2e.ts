import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  befriend,
  composer,
  contact,
  launchBrowser,
  loginUi,
  newPage,
  shot,
  startServer,
  userApi,
  visible,
  type Running,
} from './helpers.js';

/**
 * Text past the 4,000-character limit is never cut: it stays whole in the
 * box and a counter says how much is too much (sending it anyway is refused
 * by the server and kept as refused: test/e2e/reload.e2e.ts).
 */
describe('the composer near and past the length limit', () => {
  let browser: Browser;
  let srv: Running;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('keeps pasted text whole, counts down near the limit and refuses to send until it fits', async () => {
    const [alice, bob] = await Promise.all([userApi(srv.server, 'alicelimit'), userApi(srv.server, 'boblimit')]);
    await befriend(alice, bob);
    const dm = (await alice.call('POST', `/api/v1/direct/${bob.user.username}`)).body.conversation;
    const { page } = await newPage(browser, srv.url);
    await loginUi(page, alice.user.username);
    await contact(page, bob.user.username).getByRole('button').click();
    const box = composer(page);
    const send = page.getByRole('button', { name: 'Send', exact: true });

    await box.fill('x'.repeat(3990));
    expect(await page.locator('#composer-count').textContent()).toContain('10 characters left');
    expect(await send.isDisabled()).toBe(false);

    await box.fill('y'.repeat(4017));
    expect((await box.inputValue()).length).toBe(4017);
    await visible(page.getByText('17 characters too many'));
    await shot(page, 'composer-over-limit-desktop');
    expect((await alice.call('GET', `/api/v1/conversations/${dm.id}/messages`)).body.messages).toEqual([]);

    await box.fill('short again');
    expect(await page.locator('#composer-count').count()).toBe(0);
    await box.press('Enter');
    await visible(page.locator('.msg').getByText('short again'));
  });
});
