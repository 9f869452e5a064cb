import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, startServer, newPage, messageLog, visible, userApi, shot, type Running } from './helpers.js';

/** The server-rendered public room draws bodies with the app's own MessageBody: links work with JavaScript off. */
describe('links on the server-rendered pages', () => {
  let browser: Browser;
  let srv: Running;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('are clickable with a safe rel, only http/https/mailto, and a deleted message shows no body', async () => {
    const alice = await userApi(srv.server, 'alice');
    const lobby = (await alice.call('GET', '/api/v1/rooms')).body.rooms.find((r: { name: string }) => r.name === 'lobby').id;
    await alice.call('POST', `/api/v1/conversations/${lobby}/join`);
    const post = (body: string) => alice.call('POST', `/api/v1/conversations/${lobby}/messages`, { body });
    await post('Docs at https://example.com/docs, mail mailto:help@example.com; not javascript:alert(1) nor data:text/html,x');
    await post('<a href="javascript:alert(2)">html link</a> https://x.example/"><script>alert(3)</script>');
    const gone = await post('secret plans at https://secret.example');
    expect((await alice.call('DELETE', `/api/v1/messages/${gone.body.message.id}`)).status).toBe(200);

    const { page, context, dialogs } = await newPage(browser, srv.url, { javaScriptEnabled: false });
    const res = await page.goto('/');
    expect(res?.status()).toBe(200);
    const log = messageLog(page);
    const docs = log.getByRole('link', { name: 'https://example.com/docs' });
    await visible(docs);
    expect(await docs.getAttribute('href')).toBe('https://example.com/docs');
    expect(await docs.getAttribute('rel')).toBe('noopener noreferrer nofollow ugc');
    expect(await log.getByRole('link', { name: 'mailto:help@example.com' }).getAttribute('href')).toBe('mailto:help@example.com');
    const hrefs = await log.getByRole('link').evaluateAll((els) => els.map((e) => e.getAttribute('href')));
    expect(hrefs).toEqual(['https://example.com/docs', 'mailto:help@example.com', 'https://x.example/']);
    // The markup in a body is text, never elements.
    await visible(log.getByText('<a href="javascript:alert(2)">html link</a>', { exact: false }));
    expect(await log.locator('script').count()).toBe(0);
    const html = await res!.text();
    expect(html).not.toContain('secret plans');
    await visible(log.getByText('message deleted'));
    await shot(page, 'i13-ssr-links-no-js');
    expect(dialogs).toEqual([]);
    await context.close();
  });
});
