import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  launchBrowser,
  startServer,
  newPage,
  loginUi,
  contact,
  messageLog,
  visible,
  userApi,
  befriend,
  shot,
  PHONE,
  type Running,
} from './helpers.js';

/**
 * The unread count the reader sees: the contact's badge on a desktop, the tab
 * title "(N) hubbub" on a phone, where the contact list is hidden while a
 * conversation is open (the two always agree: both are summary.unread).
 */
async function badge(page: import('playwright-core').Page, name: string): Promise<number> {
  const b = contact(page, name).locator('.badge:not(.badge-mention)');
  if (await b.isVisible()) return Number((await b.getAttribute('aria-label'))!.split(' ')[0]);
  if (await contact(page, name).isVisible()) return 0;
  const m = /^\((\d+)\)/.exec(await page.title());
  return m ? Number(m[1]) : 0;
}

describe('opening a conversation with 150 unread', () => {
  let browser: Browser;
  let srv: Running;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  for (const [label, viewport] of [
    ['desktop', undefined],
    ['phone', PHONE],
  ] as const) {
    it(`lands on the first unread and counts down as the messages scroll into view (${label})`, async () => {
      const [alice, bob] = await Promise.all([userApi(srv.server, `alice${label}`), userApi(srv.server, `bob${label}`)]);
      await befriend(alice, bob);
      const dm = (await alice.call('POST', `/api/v1/direct/${bob.user.username}`)).body.conversation;
      await alice.call('POST', `/api/v1/conversations/${dm.id}/messages`, { body: 'Tell me everything' });
      for (let i = 1; i <= 150; i++) await bob.call('POST', `/api/v1/conversations/${dm.id}/messages`, { body: `story part ${i}` });

      const a = await newPage(browser, srv.url, viewport ? { viewport } : {});
      await loginUi(a.page, alice.user.username);
      await visible(contact(a.page, bob.user.username));
      expect(await badge(a.page, bob.user.username)).toBe(150);

      await contact(a.page, bob.user.username).getByRole('button').click();
      const log = messageLog(a.page);
      const divider = log.locator('.unread-line');
      await visible(divider);
      // The first unread message is on screen, right under the "New" divider; the newest is not.
      await visible(log.locator('.msg-body', { hasText: /^story part 1$/ }));
      const inView = async (text: RegExp) =>
        log.locator('.msg', { has: a.page.locator('.msg-body', { hasText: text }) }).evaluate((el) => {
          const r = el.getBoundingClientRect();
          const box = el.closest('.messages')!.getBoundingClientRect();
          return r.bottom > box.top && r.top < box.bottom;
        });
      expect(await inView(/^story part 1$/)).toBe(true);
      expect(await log.locator('.msg-body', { hasText: /^story part 150$/ }).count()).toBe(0);
      await shot(a.page, `i13-unread-landing-${label}`);

      // Not "all read" on open: only what was seen moved the pointer.
      await expect.poll(() => badge(a.page, bob.user.username), { timeout: 5000 }).toBeGreaterThan(100);
      const server = async () =>
        (await alice.call('GET', '/api/v1/conversations')).body.conversations.find((c: { id: string }) => c.id === dm.id).unread as number;
      await expect.poll(server, { timeout: 5000 }).toBeGreaterThan(100);

      // Scrolling down a screen at a time: the badge counts down, never up, to 0 at the end.
      const seen: number[] = [await badge(a.page, bob.user.username)];
      for (let step = 0; step < 80 && seen[seen.length - 1]! > 0; step++) {
        await log.evaluate((el) => el.scrollBy(0, el.clientHeight * 0.8));
        await expect.poll(() => badge(a.page, bob.user.username), { timeout: 3000 }).toBeLessThanOrEqual(seen[seen.length - 1]!);
        seen.push(await badge(a.page, bob.user.username));
      }
      expect(seen[seen.length - 1]).toBe(0);
      expect(new Set(seen).size).toBeGreaterThan(3);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeLessThanOrEqual(seen[i - 1]!);
      await visible(log.locator('.msg-body', { hasText: /^story part 150$/ }));
      await expect.poll(server, { timeout: 5000 }).toBe(0);
      expect(a.errors).toEqual([]);
      await a.context.close();
    });
  }
});
