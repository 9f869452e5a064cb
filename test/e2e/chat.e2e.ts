import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  launchBrowser,
  startServer,
  newPage,
  registerUi,
  contact,
  messageLog,
  composer,
  sendUi,
  storedBodies,
  visible,
  hidden,
  eventually,
  type Running,
} from './helpers.js';

describe('two people chat in the browser', () => {
  let browser: Browser;
  let srv: Running;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('register, befriend, chat live with unread badges, typing, escaping, reload and a network drop', async () => {
    const a = await newPage(browser, srv.url);
    const b = await newPage(browser, srv.url);

    await registerUi(a.page, 'alice', 'hubbub-pass-4821', 'Alice');
    await registerUi(b.page, 'bob', 'hubbub-pass-4821', 'Bob');

    // Bob finds Alice and asks to be friends.
    await b.page.getByRole('link', { name: /^People/ }).click();
    await b.page.getByLabel('Search people').fill('ali');
    await b.page.getByRole('button', { name: 'Add Alice as a friend' }).click();
    await visible(b.page.getByText('Requested'));

    // Alice sees the request counter, accepts.
    await eventually(() => a.page.getByTestId('request-count').textContent(), '1');
    await a.page.getByRole('link', { name: /^People, 1 friend request/ }).click();
    const req = a.page.getByRole('list', { name: 'Incoming friend requests' }).getByRole('listitem', { name: 'Bob' });
    await req.getByRole('button', { name: 'Accept' }).click();
    await hidden(a.page.getByTestId('request-count'));

    // Each appears in the other's Friends tab.
    await visible(contact(a.page, 'Bob'));
    await visible(contact(b.page, 'Alice'));
    await b.page.goto('/');
    await visible(contact(b.page, 'Alice'));

    // Alice opens the chat with Bob: the title names him.
    await contact(a.page, 'Bob').getByRole('button').click();
    await visible(a.page.getByRole('heading', { name: 'Chatting with Bob' }));
    await visible(messageLog(a.page));

    // Nothing is sent when the composer is empty.
    await composer(a.page).press('Enter');
    expect(await a.page.getByRole('button', { name: 'Send', exact: true }).isDisabled()).toBe(true);

    // Alice writes; Bob (conversation not open) gets it live as an unread badge and in the tab title.
    await sendUi(a.page, 'Hi Bob!');
    await eventually(() => contact(b.page, 'Alice').locator('.badge').textContent(), '1');
    await eventually(() => b.page.title(), '(1) hubbub');
    await eventually(() => contact(b.page, 'Alice').locator('.contact-preview').textContent(), 'Hi Bob!');
    await eventually(() => storedBodies(a.page), ['Hi Bob!']);
    expect(await messageLog(a.page).locator('.msg.mine .msg-body').allTextContents()).toEqual(['Hi Bob!']);

    // Bob opens it: the message is there, the badge and the title count go.
    await contact(b.page, 'Alice').getByRole('button').click();
    await visible(b.page.getByRole('heading', { name: 'Chatting with Alice' }));
    await visible(messageLog(b.page).getByText('Hi Bob!'));
    await hidden(contact(b.page, 'Alice').locator('.badge'));
    await eventually(() => b.page.title(), 'Alice · hubbub');
    expect(await messageLog(b.page).locator('.msg.mine').count()).toBe(0);

    // Bob types: Alice sees the typing indicator, in the chat and in her contact list.
    await composer(b.page).pressSequentially('Hel', { delay: 30 });
    await visible(a.page.getByText('Bob is typing…'));

    // Shift+Enter is a new line; Enter sends; the Send button sends too.
    await composer(b.page).fill('Hello Alice 👋');
    await composer(b.page).press('Shift+Enter');
    await composer(b.page).pressSequentially('second line');
    await composer(b.page).press('Enter');
    await visible(messageLog(a.page).getByText('second line'));
    await eventually(async () => (await storedBodies(a.page)).at(-1), 'Hello Alice 👋\nsecond line');
    await hidden(a.page.getByText('Bob is typing…'));
    await composer(b.page).fill('via the button');
    await b.page.getByRole('button', { name: 'Send', exact: true }).click();
    await visible(messageLog(a.page).getByText('via the button'));

    // Markup in a message is text: shown verbatim, never run.
    const evil = '<img src=x onerror=alert(1)>';
    await sendUi(a.page, evil);
    await visible(messageLog(b.page).getByText(evil, { exact: true }));
    expect(await messageLog(b.page).locator('img').count()).toBe(0);
    expect(await messageLog(a.page).locator('img').count()).toBe(0);
    await b.page.waitForTimeout(300);
    expect(b.dialogs).toEqual([]);
    expect(a.dialogs).toEqual([]);

    // Emoji picker inserts into the composer.
    await b.page.getByRole('button', { name: 'Emoji', exact: true }).click();
    await b.page.getByRole('button', { name: 'thumbs up' }).click();
    expect(await composer(b.page).inputValue()).toBe('👍');
    await composer(b.page).press('Enter');
    await visible(messageLog(a.page).getByText('👍', { exact: true }));

    // A reload keeps the session and the open conversation.
    await b.page.reload();
    await visible(b.page.getByRole('heading', { name: 'Chatting with Alice' }));
    await visible(messageLog(b.page).getByText(evil, { exact: true }));
    expect(new URL(b.page.url()).pathname).toMatch(/^\/c\/\d+$/);

    // The network drops and comes back: nothing lost, nothing doubled.
    const before = await storedBodies(b.page);
    await b.context.setOffline(true);
    await visible(b.page.getByText('Offline', { exact: true }));
    await sendUi(a.page, 'while you were away 1');
    await sendUi(a.page, 'while you were away 2');
    await sendUi(b.page, 'sent while offline');
    await visible(messageLog(b.page).locator('.msg[data-state]').getByText('sent while offline'));
    await eventually(() => storedBodies(a.page).then((x) => x.slice(-2)), ['while you were away 1', 'while you were away 2']);
    await b.page.waitForTimeout(1500);
    // Really cut off: nothing arrived, nothing left.
    expect(await storedBodies(b.page)).toEqual(before);
    expect(await storedBodies(a.page)).not.toContain('sent while offline');
    await b.context.setOffline(false);
    await visible(b.page.getByText('Online', { exact: true }), 15_000);
    const want = [...before, 'while you were away 1', 'while you were away 2', 'sent while offline'];
    await eventually(async () => (await storedBodies(b.page)).sort(), [...want].sort(), 30_000);
    await eventually(async () => (await storedBodies(a.page)).filter((x) => x === 'sent while offline').length, 1, 20_000);
    // And after a reload (fresh from the server) the same, each exactly once.
    await b.page.reload();
    await visible(messageLog(b.page).getByText('sent while offline'));
    await eventually(async () => (await storedBodies(b.page)).sort(), [...want].sort());

    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    await a.context.close();
    await b.context.close();
  });
});
