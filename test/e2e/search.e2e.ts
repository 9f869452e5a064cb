import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { Browser } from 'playwright-core';
import {
  launchBrowser,
  startServer,
  newPage,
  loginUi,
  messageLog,
  visible,
  hidden,
  eventually,
  userApi,
  befriend,
  uploadApi,
  shot,
  PHONE,
  type Running,
  type Api,
} from './helpers.js';
import { pdf } from './samples.js';

function searchBox(page: Page): Locator {
  return page.getByRole('searchbox', { name: 'Search messages and contacts' });
}

function results(page: Page): Locator {
  return page.getByRole('region', { name: 'Message results' });
}

/** The result buttons, as their snippet texts. */
async function snippets(page: Page): Promise<string[]> {
  return results(page).locator('.result-snippet').allTextContents();
}

/** Whether the element is fully inside the message log's visible area. */
async function inView(page: Page, el: Locator): Promise<boolean> {
  const [box, log] = await Promise.all([el.boundingBox(), messageLog(page).boundingBox()]);
  return !!box && !!log && box.y >= log.y - 1 && box.y + box.height <= log.y + log.height + 1;
}

describe('searching messages in the web app', () => {
  let browser: Browser;
  let srv: Running;
  let alice: Api;
  let bob: Api;
  let carol: Api;
  let direct = '';
  let group = '';

  async function say(who: Api, conv: string, body: string, attachments?: string[]): Promise<string> {
    const r = await who.call('POST', `/api/v1/conversations/${conv}/messages`, attachments ? { body, attachments } : { body });
    expect(r.status, body).toBe(201);
    return r.body.message.id;
  }

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
    [alice, bob, carol] = await Promise.all([userApi(srv.server, 'alice'), userApi(srv.server, 'bob'), userApi(srv.server, 'carol')]);
    await befriend(alice, bob);
    await befriend(alice, carol);
    direct = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
    // The Chinese message is far back: 150 newer ones follow it, so it is not on the page a conversation opens with.
    await say(bob, direct, 'Morning! Did you book the cabin?');
    await say(bob, direct, '这是一条消息，关于周末的旅行');
    for (let i = 0; i < 150; i++) await say(i % 2 ? alice : bob, direct, `small talk number ${i}`);
    const file = await uploadApi(srv.server, bob.token, direct, pdf('budget.pdf'));
    await say(bob, direct, 'the weekly report is attached', [file.id]);

    group = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'Weekend trip', members: ['bob', 'carol'] })).body
      .conversation.id;
    for (let i = 1; i <= 24; i++) await say(carol, group, `weekly report ${i}: all fine`);
    await say(carol, group, '消息收到了，谢谢！');
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('a Chinese word: results grouped by conversation with the word marked; a click opens the message in view', async () => {
    const { page, context, errors } = await newPage(browser, srv.url);
    await loginUi(page, 'alice');
    await searchBox(page).fill('消息');
    await searchBox(page).press('Enter');
    await eventually(() => snippets(page), ['消息收到了，谢谢！', '这是一条消息，关于周末的旅行']);
    // Newest group first: the group, then the direct conversation; the hit is a <mark>, as text.
    expect(await results(page).locator('.result-conv-name').allTextContents()).toEqual(['Weekend trip', 'bob']);
    expect(await results(page).locator('mark').allTextContents()).toEqual(['消息', '消息']);
    // The tabs give way to the search view, which also lists matching contacts (none here).
    await hidden(page.getByRole('tablist', { name: 'Contact lists' }));

    await results(page)
      .getByRole('button', { name: /这是一条消息/ })
      .click();
    await visible(page.getByRole('heading', { name: 'Chatting with bob' }));
    const target = messageLog(page).locator('.msg:not([data-state])', { hasText: '这是一条消息，关于周末的旅行' });
    await visible(target);
    await eventually(async () => /\bflash\b/.test((await target.getAttribute('class')) ?? ''), true);
    await eventually(() => inView(page, target), true);
    await shot(page, 'search-desktop');

    // Escape clears the search: the tabs are back.
    await searchBox(page).press('Escape');
    await visible(page.getByRole('tablist', { name: 'Contact lists' }));
    expect(errors).toEqual([]);
    await context.close();
  });

  it('typing searches after a pause; more results on demand; filters: has a file, this conversation', async () => {
    const { page, context } = await newPage(browser, srv.url);
    await loginUi(page, 'alice');
    await searchBox(page).pressSequentially('report', { delay: 30 });
    // 25 matches (24 in the group, 1 with a file in the direct conversation): a page of 20 first.
    await eventually(async () => (await snippets(page)).length, 20);
    await results(page).getByRole('button', { name: 'Load more' }).click();
    await eventually(async () => (await snippets(page)).length, 25);
    await hidden(results(page).getByRole('button', { name: 'Load more' }));

    await page.getByRole('button', { name: 'Files', exact: true }).click();
    await eventually(() => snippets(page), ['the weekly report is attached']);
    await visible(results(page).getByText('budget.pdf'));
    await results(page)
      .getByRole('button', { name: /the weekly report is attached/ })
      .click();
    await visible(page.getByRole('heading', { name: 'Chatting with bob' }));
    await page.getByRole('button', { name: 'Files', exact: true }).click();
    await eventually(async () => (await snippets(page)).length, 20);

    // In this conversation (the one open): only its own.
    await page.getByRole('button', { name: 'This conversation' }).click();
    await eventually(() => snippets(page), ['the weekly report is attached']);
    await context.close();
  });

  it('on a phone: search from the contact list, open a result, come back to the results', async () => {
    const { page, context } = await newPage(browser, srv.url, { viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await loginUi(page, 'alice');
    await searchBox(page).fill('消息');
    await eventually(async () => (await snippets(page)).length, 2);
    await shot(page, 'search-phone');
    await results(page)
      .getByRole('button', { name: /这是一条消息/ })
      .click();
    const target = messageLog(page).locator('.msg:not([data-state])', { hasText: '这是一条消息，关于周末的旅行' });
    await visible(target);
    await eventually(() => inView(page, target), true);
    await page.getByRole('button', { name: 'Back to chats' }).click();
    await eventually(async () => (await snippets(page)).length, 2);
    await context.close();
  });
});
