import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { testServer } from '../helpers/server.js';
import { launchBrowser, startServer, newPage, messageLog, visible, eventually, shot, userApi, type Api, type Running } from './helpers.js';

const EVIL = '<img src=x onerror=alert(1)>';
const SCRIPTY = '</script><script>alert("x")</script>';

describe('public rooms, server-rendered', () => {
  let browser: Browser;
  let srv: Running;
  let alice: Api;
  let lobbyId: string;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
    alice = await userApi(srv.server, 'alice');
    const rooms = await alice.call('GET', '/api/v1/rooms');
    lobbyId = rooms.body.rooms.find((r: { name: string }) => r.name === 'lobby').id;
    await alice.call('POST', `/api/v1/conversations/${lobbyId}/join`);
    for (const body of ['Welcome to the lobby!', 'Markup stays text: <b>bold</b> & "quotes"', EVIL, SCRIPTY]) {
      const r = await alice.call('POST', `/api/v1/conversations/${lobbyId}/messages`, { body });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('a logged-out reader with JavaScript off reads the lobby', async () => {
    const { page, context, dialogs } = await newPage(browser, srv.url, { javaScriptEnabled: false });
    const res = await page.goto('/');
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe('#lobby · hubbub');
    const log = messageLog(page);
    await visible(log.getByText('Welcome to the lobby!'));
    await visible(log.getByText('Markup stays text: <b>bold</b> & "quotes"'));
    await visible(log.getByText(EVIL, { exact: true }));
    await visible(log.getByText(SCRIPTY, { exact: true }));
    expect(await log.locator('img, b, script').count()).toBe(0);
    expect(await log.locator('.msg-sender').first().textContent()).toBe('alice');
    await visible(page.getByRole('link', { name: 'Log in' }).first());
    await visible(page.getByRole('navigation', { name: 'Public rooms' }).getByRole('link', { name: 'lobby' }));
    const description = await page.locator('meta[name="description"]').getAttribute('content');
    expect(description).toContain('#lobby');
    expect(dialogs).toEqual([]);
    await shot(page, 'ssr-lobby-no-js');
    await context.close();
  });

  it('the HTML carries the messages escaped, a title, a description, and no inline script', async () => {
    const res = await fetch(`${srv.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<title>#lobby · hubbub</title>');
    expect(html).toMatch(/<meta name="description" content="[^"]+"/);
    expect(html).toContain('Welcome to the lobby!');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain(EVIL);
    expect(html).not.toContain('<script>alert');
    // Every script is either external (src=) or inert data (application/json).
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attrs of scripts) expect(attrs.includes('src=') || attrs.includes('type="application/json"')).toBe(true);
    const data = /<script type="application\/json" id="ssr-data">([\s\S]*?)<\/script>/.exec(html);
    expect(data).not.toBeNull();
    const parsed = JSON.parse(data![1]!);
    expect(parsed.room.name).toBe('lobby');
    expect(parsed.messages.map((m: { body: string }) => m.body)).toContain(SCRIPTY);
  });

  it('other rooms, unknown rooms, app routes and assets', async () => {
    await alice.call('POST', '/api/v1/conversations', { kind: 'room', name: 'design' });
    const room = await fetch(`${srv.url}/r/design`);
    expect(room.status).toBe(200);
    expect(await room.text()).toContain('<title>#design · hubbub</title>');

    const missing = await fetch(`${srv.url}/r/no-such-room`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await missing.text()).toContain('Room not found');

    for (const path of ['/login', '/register', '/c/12', '/people', '/rooms']) {
      const r = await fetch(`${srv.url}${path}`);
      expect(r.status, path).toBe(200);
      expect(await r.text(), path).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);
    }

    const api404 = await fetch(`${srv.url}/api/v1/nope`);
    expect(api404.status).toBe(404);
    expect((await api404.json()).error.code).toBe('NOT_FOUND');

    const html = await (await fetch(`${srv.url}/login`)).text();
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${srv.url}${js}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${srv.url}/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${srv.url}/favicon.svg`)).status).toBe(200);
  });

  it('a page asked for again after a new message carries it (rendered pages follow the room)', async () => {
    const made = await alice.call('POST', '/api/v1/conversations', { kind: 'room', name: 'news' });
    expect(made.status).toBe(201);
    const id = made.body.conversation.id as string;
    expect((await alice.call('POST', `/api/v1/conversations/${id}/messages`, { body: 'first edition' })).status).toBe(201);
    const first = await (await fetch(`${srv.url}/r/news`)).text();
    expect(first).toContain('first edition');
    expect(await (await fetch(`${srv.url}/r/news`)).text()).toBe(first);
    expect((await alice.call('POST', `/api/v1/conversations/${id}/messages`, { body: 'straight onto the page' })).status).toBe(201);
    const again = await (await fetch(`${srv.url}/r/news`)).text();
    expect(again).toContain('straight onto the page');
    expect(first).not.toContain('straight onto the page');
  });

  it('without a built app, the lobby is still rendered, with a note', async () => {
    const bare = await testServer({ webDir: path.join(os.tmpdir(), 'hubbub-no-such-web-dist') });
    try {
      const zed = await userApi(bare, 'zed');
      const lobby = (await zed.call('GET', '/api/v1/rooms')).body.rooms[0].id;
      await zed.call('POST', `/api/v1/conversations/${lobby}/join`);
      await zed.call('POST', `/api/v1/conversations/${lobby}/messages`, { body: 'plain <html> only' });
      const res = await bare.app.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<title>#lobby · hubbub</title>');
      expect(res.body).toContain('The web app is not built yet');
      expect(res.body).toContain('role="log" aria-label="Messages"');
      expect(res.body).toContain('plain &lt;html&gt; only');
      expect((await bare.app.inject({ method: 'GET', url: '/assets/index.js' })).statusCode).toBe(404);
    } finally {
      await bare.close();
      fs.rmSync(bare.dataDir, { recursive: true, force: true });
    }
  });

  it("the browser hydrates the server's HTML without a mismatch, then shows times in the reader's zone", async () => {
    // Tokyo is never on UTC's calendar day at the same wall-clock time: server (UTC) and reader differ visibly.
    const { page, context, errors } = await newPage(browser, srv.url, { timezoneId: 'Asia/Tokyo' });
    const vueWarnings: string[] = [];
    page.on('console', (m) => {
      if (/hydrat|mismatch/i.test(m.text())) vueWarnings.push(`${m.type()}: ${m.text()}`);
    });
    // Counts server-rendered message nodes that leave the page: hydration adopts them, a fresh mount throws them away.
    await page.addInitScript(() => {
      const w = window as unknown as { removedSsrNodes: number };
      w.removedSsrNodes = 0;
      new MutationObserver((records) => {
        for (const r of records) {
          for (const n of Array.from(r.removedNodes)) {
            if (n instanceof Element && (n.matches('.msg, .public-page') || n.querySelector('.msg'))) w.removedSsrNodes++;
          }
        }
      }).observe(document, { childList: true, subtree: true });
    });
    const served = await (await fetch(`${srv.url}/`)).text();
    expect(served).toMatch(/<time class="msg-time" datetime="[^"]+"[^>]*>\d\d:\d\d UTC<\/time>/);

    await page.goto('/');
    await page.waitForFunction(() => document.documentElement.classList.contains('app-ready'));
    const log = messageLog(page);
    await visible(log.getByText('Welcome to the lobby!'));
    const time = log.locator('.msg-time').first();
    // After mount the clock is the reader's: Tokyo's hours, no "UTC" label.
    await eventually(async () => (await time.textContent())?.includes('UTC'), false);
    const iso = (await time.getAttribute('datetime'))!;
    const tokyo = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Tokyo' }).format(new Date(iso));
    expect(await time.textContent()).toBe(tokyo);
    expect(await page.evaluate(() => (window as unknown as { removedSsrNodes: number }).removedSsrNodes)).toBe(0);
    expect(vueWarnings).toEqual([]);
    expect(errors).toEqual([]);
    await shot(page, 'ssr-lobby-hydrated');
    // Hydrated, not frozen: links route inside the app.
    await page.getByRole('link', { name: 'Log in' }).first().click();
    await visible(page.getByRole('button', { name: 'Log in', exact: true }));
    expect(vueWarnings).toEqual([]);
    await context.close();
  });

  it('with JavaScript on, the app takes over the page and follows new messages', async () => {
    const { page, context, errors } = await newPage(browser, srv.url);
    await page.goto('/');
    await page.waitForFunction(() => document.documentElement.classList.contains('app-ready'));
    const log = messageLog(page);
    await visible(log.getByText('Welcome to the lobby!'));
    expect(await log.locator('img').count()).toBe(0);
    await alice.call('POST', `/api/v1/conversations/${lobbyId}/messages`, { body: 'fresh off the press' });
    await visible(log.getByText('fresh off the press'), 15_000);
    await eventually(() => log.locator('.msg-body').count(), 5);
    // Log in from the lobby and land in the app.
    await page.getByRole('link', { name: 'Log in' }).first().click();
    await visible(page.getByRole('button', { name: 'Log in', exact: true }));
    expect(errors).toEqual([]);
    await context.close();
  });
});
