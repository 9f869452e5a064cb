import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  launchBrowser,
  startServer,
  newPage,
  loginUi,
  contact,
  messageLog,
  sendUi,
  visible,
  hidden,
  eventually,
  userApi,
  befriend,
  storedBodies,
  shot,
  PHONE,
  type Running,
  type Api,
} from './helpers.js';

/** A stored message's element in the open conversation, by its text. */
function msgEl(page: Page, text: string | RegExp) {
  return messageLog(page).locator('.msg:not([data-state])', { has: page.locator('.msg-body', { hasText: text }) });
}

async function openChat(page: Page, tab: 'Friends' | 'Groups', name: string): Promise<void> {
  await page.getByRole('tab', { name: new RegExp(`^${tab}`) }).click();
  await contact(page, name).getByRole('button').click();
  await visible(messageLog(page));
}

describe('messages people can work with', () => {
  let browser: Browser;
  let srv: Running;
  let alice: Api, bob: Api, carol: Api;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
    [alice, bob, carol] = await Promise.all([userApi(srv.server, 'alice'), userApi(srv.server, 'bob'), userApi(srv.server, 'carol')]);
    await befriend(alice, bob);
    await befriend(alice, carol);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('edit, delete, reply with a jump to the original, react, a clickable link and "Seen" in a direct chat, live', async () => {
    const a = await newPage(browser, srv.url);
    const b = await newPage(browser, srv.url);
    await Promise.all([loginUi(a.page, 'alice'), loginUi(b.page, 'bob')]);
    await openChat(a.page, 'Friends', 'bob');
    await openChat(b.page, 'Friends', 'alice');

    // A message with a typo, fixed inline; Bob sees "edited".
    await sendUi(a.page, 'See you at noin');
    await visible(msgEl(b.page, 'See you at noin'));
    await msgEl(a.page, 'See you at noin').hover();
    await msgEl(a.page, 'See you at noin').getByRole('button', { name: 'Edit' }).click();
    const editor = a.page.getByLabel('Edit message');
    await editor.fill('See you at noon — changed my mind');
    await editor.press('Escape');
    await hidden(editor);
    await eventually(() => storedBodies(a.page), ['See you at noin']);
    await msgEl(a.page, 'See you at noin').hover();
    await msgEl(a.page, 'See you at noin').getByRole('button', { name: 'Edit' }).click();
    await editor.fill('See you at noon');
    await editor.press('Enter');
    await visible(msgEl(b.page, 'See you at noon').locator('.msg-edited'));
    expect(await storedBodies(b.page)).toEqual(['See you at noon']);

    // A link: clickable, safe rel, http(s) only; javascript: stays text.
    await sendUi(a.page, 'Agenda: https://example.com/plan?x=1. Not this: javascript:alert(1)');
    const link = msgEl(b.page, /^Agenda/).getByRole('link', { name: 'https://example.com/plan?x=1' });
    await visible(link);
    expect(await link.getAttribute('href')).toBe('https://example.com/plan?x=1');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer nofollow ugc');
    expect(
      await msgEl(b.page, /^Agenda/)
        .getByRole('link')
        .count(),
    ).toBe(1);

    // Bob has read everything: Alice sees "Seen" under her last message, live.
    await visible(msgEl(a.page, /^Agenda/).locator('.msg-status.seen', { hasText: 'Seen' }));

    // Bob replies to the first message; the quote follows.
    for (let i = 0; i < 3; i++) await sendUi(b.page, `filler ${i}`);
    await msgEl(b.page, 'See you at noon').hover();
    await msgEl(b.page, 'See you at noon').getByRole('button', { name: 'Reply' }).click();
    await visible(b.page.getByRole('button', { name: /Replying to alice/ }));
    await sendUi(b.page, 'Perfect, noon it is');
    const quote = msgEl(a.page, 'Perfect, noon it is').locator('.reply-quote');
    await visible(quote);
    expect(await quote.textContent()).toContain('See you at noon');

    // Reactions: Bob reacts 👍 to the link, Alice sees the chip, adds hers, the count is 2.
    await msgEl(b.page, /^Agenda/).hover();
    await msgEl(b.page, /^Agenda/)
      .getByRole('button', { name: 'React' })
      .click();
    await b.page.locator('.msg-picker button.emoji').first().click();
    const chip = msgEl(a.page, /^Agenda/).locator('.reaction');
    await visible(chip);
    const emoji = (await chip.locator('.reaction-emoji').textContent())!;
    expect(await chip.getAttribute('title')).toBe(`bob reacted with ${emoji}`);
    await chip.click();
    await eventually(
      () =>
        msgEl(b.page, /^Agenda/)
          .locator('.reaction-count')
          .textContent(),
      '2',
    );
    expect(
      await msgEl(b.page, /^Agenda/)
        .locator('.reaction')
        .getAttribute('title'),
    ).toBe(`You, alice reacted with ${emoji}`);
    await shot(a.page, 'i13-direct-desktop');

    // Alice deletes her first message: a tombstone for both, and the quote says deleted.
    await msgEl(a.page, 'See you at noon').hover();
    await msgEl(a.page, 'See you at noon').getByRole('button', { name: 'Delete' }).click();
    expect(a.dialogs.some((d) => d.startsWith('confirm: Delete your message'))).toBe(true);
    await visible(messageLog(b.page).locator('.msg.deleted .msg-deleted', { hasText: 'message deleted' }));
    await visible(msgEl(b.page, 'Perfect, noon it is').locator('.reply-quote .msg-deleted'));
    expect(await messageLog(b.page).textContent()).not.toContain('See you at noon');

    // The quote jumps to the original (a reply to a message far back: loaded around it).
    const list = await alice.call('GET', '/api/v1/conversations');
    const dm = list.body.conversations.find((x: { kind: string }) => x.kind === 'direct');
    const page = (await alice.call('GET', `/api/v1/conversations/${dm.id}/messages?limit=50`)).body.messages as Array<{
      id: string;
      body: string;
    }>;
    const agenda = page.find((m) => m.body.startsWith('Agenda'))!;
    for (let i = 0; i < 120; i++) await bob.call('POST', `/api/v1/conversations/${dm.id}/messages`, { body: `bulk ${i}` });
    const reply = await bob.call('POST', `/api/v1/conversations/${dm.id}/messages`, { body: 'About that agenda', replyTo: agenda.id });
    expect(reply.status).toBe(201);
    // Read on another device: the chat opens at the newest message, far from the original.
    await alice.call('POST', `/api/v1/conversations/${dm.id}/read`, { upTo: reply.body.message.id });
    await a.page.reload();
    await visible(msgEl(a.page, 'About that agenda'));
    expect(await msgEl(a.page, /^Agenda/).count()).toBe(0);
    await msgEl(a.page, 'About that agenda').locator('.reply-quote').click();
    await visible(msgEl(a.page, /^Agenda/));
    await visible(a.page.locator('.msg.flash'));
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    await a.context.close();
    await b.context.close();
  });

  it('a group: a mention highlighted and counted, "Seen by" live, a system line after a removal', async () => {
    const g = await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'Lunch', members: ['bob', 'carol'] });
    expect(g.status).toBe(201);
    const id = g.body.conversation.id as string;
    const a = await newPage(browser, srv.url);
    const c = await newPage(browser, srv.url, { viewport: PHONE });
    await Promise.all([loginUi(a.page, 'alice'), loginUi(c.page, 'carol')]);

    // Bob mentions Carol while her group is closed: a mention badge apart from unread.
    await bob.call('POST', `/api/v1/conversations/${id}/messages`, { body: 'hey @carol, pizza?' });
    await bob.call('POST', `/api/v1/conversations/${id}/messages`, { body: 'or sushi' });
    await c.page.getByRole('tab', { name: /^Groups/ }).click();
    await visible(contact(c.page, 'Lunch').getByLabel('1 mention'));
    await visible(contact(c.page, 'Lunch').getByLabel('2 unread'));
    await contact(c.page, 'Lunch').getByRole('button').click();
    const mention = msgEl(c.page, 'pizza');
    await visible(mention.locator('.mention.mention-me', { hasText: '@carol' }));
    expect(await mention.getAttribute('class')).toContain('mentions-me');
    await shot(c.page, 'i13-mention-phone');

    // Alice writes; Carol (on screen) reads it: "Seen by 1 · carol" appears for Alice, live.
    await openChat(a.page, 'Groups', 'Lunch');
    await sendUi(a.page, 'sushi wins');
    await visible(msgEl(a.page, 'sushi wins').locator('.msg-status.seen', { hasText: 'Seen by 1 · carol' }));
    // Bob reads too: "Seen by 2".
    const last = (await bob.call('GET', `/api/v1/conversations/${id}/messages?limit=1`)).body.messages[0];
    await bob.call('POST', `/api/v1/conversations/${id}/read`, { upTo: last.id });
    await visible(msgEl(a.page, 'sushi wins').locator('.msg-status.seen', { hasText: /Seen by 2 · (carol, bob|bob, carol)/ }));
    // After a reload too: the conversation's detail carries each member's read position.
    await a.page.reload();
    await visible(msgEl(a.page, 'sushi wins').locator('.msg-status.seen', { hasText: /Seen by 2 · (carol, bob|bob, carol)/ }));

    // Alice removes Carol: Alice sees a system line; Carol keeps the group with a last line saying so.
    const r = await alice.call('DELETE', `/api/v1/conversations/${id}/members/${carol.user.id}`);
    expect(r.status).toBeLessThan(300);
    await visible(messageLog(a.page).locator('.system-line', { hasText: 'You removed carol' }));
    await visible(messageLog(c.page).locator('.system-line', { hasText: 'alice removed you' }));
    await visible(c.page.getByText('You were removed from Lunch'));
    await expect(c.page.getByLabel('Message', { exact: true }).count()).resolves.toBe(0);
    await shot(c.page, 'i13-removed-phone');
    await shot(a.page, 'i13-group-desktop');
    expect(a.errors).toEqual([]);
    expect(c.errors).toEqual([]);
    await a.context.close();
    await c.context.close();
  });
});
