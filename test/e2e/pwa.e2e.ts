import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Response } from 'playwright-core';
import { expectNoSeriousViolations } from './axe.js';
import { DESKTOP, PHONE, launchBrowser, loginUi, newPage, shot, startServer, userApi, visible, type Api, type Running } from './helpers.js';

/** Resolves once a service worker controls the page (it claims open pages when it activates). */
async function controlled(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
}

async function post(api: Api, conversationId: string, body: string): Promise<void> {
  const r = await api.call('POST', `/api/v1/conversations/${conversationId}/messages`, { body });
  expect(r.status).toBe(201);
}

describe('installable: a manifest, and a service worker that opens the app with no network', () => {
  let browser: Browser;
  let srv: Running;
  let ada: Api;
  let lobbyId: string;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
    ada = await userApi(srv.server, 'ada');
    const rooms = await ada.call('GET', '/api/v1/rooms');
    lobbyId = rooms.body.rooms.find((r: { name: string }) => r.name === 'lobby').id;
    await ada.call('POST', `/api/v1/conversations/${lobbyId}/join`, {});
    await post(ada, lobbyId, 'written before anyone went offline');
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('names an installable app: standalone, start URL, icons including a maskable one', async () => {
    const { context, page } = await newPage(browser, srv.url);
    await page.goto('/');
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    expect(href).toBe('/manifest.webmanifest');
    const manifest = await page.evaluate(async (url) => (await fetch(url)).json(), href!);
    expect(manifest).toMatchObject({ name: 'hubbub', start_url: '/', display: 'standalone', theme_color: expect.any(String) });
    const icons = manifest.icons as { src: string; sizes: string; purpose: string }[];
    expect(icons.some((i) => i.purpose === 'maskable' && i.sizes === '512x512')).toBe(true);
    expect(icons.some((i) => i.purpose === 'any' && i.sizes === '192x192')).toBe(true);
    for (const icon of icons) {
      const status = await page.evaluate(async (src) => (await fetch(src)).status, icon.src);
      expect(status, icon.src).toBe(200);
    }
    await context.close();
  });

  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`${label}: a public room read once opens offline as it was, from compressed files, then catches up`, async () => {
      const { context, page, errors } = await newPage(browser, srv.url, { viewport });
      const scripts: Response[] = [];
      page.on('response', (r) => {
        if (/\/assets\/.*\.js$/.test(r.url())) scripts.push(r);
      });
      await page.goto('/');
      await visible(page.getByText('written before anyone went offline'));
      // The first load came over the network, brotli-compressed.
      const fromNetwork = scripts.filter((r) => !r.fromServiceWorker());
      expect(fromNetwork.length).toBeGreaterThan(0);
      for (const r of fromNetwork) expect(await r.headerValue('content-encoding'), r.url()).toBe('br');
      await controlled(page);

      // Something new is said while this reader has no network: the page cannot know it.
      await post(ada, lobbyId, `said while ${label} was offline`);
      await context.setOffline(true);
      scripts.length = 0;
      await page.reload();
      await visible(page.getByText('written before anyone went offline'));
      expect(await page.getByText(`said while ${label} was offline`).count()).toBe(0);
      expect(scripts.length).toBeGreaterThan(0);
      for (const r of scripts) expect(r.fromServiceWorker(), r.url()).toBe(true);
      await shot(page, `pwa-offline-public-${label}`);
      await expectNoSeriousViolations(page, `offline public room (${label})`);

      // Back online: the next load is the server's, with what was said meanwhile.
      await context.setOffline(false);
      await page.reload();
      await visible(page.getByText(`said while ${label} was offline`));
      expect(errors).toEqual([]);
      await context.close();
    });

    it(`${label}: the signed-in app opens offline on its shell and comes up by itself when the network is back`, async () => {
      const { context, page } = await newPage(browser, srv.url, { viewport });
      await userApi(srv.server, `reader-${label}`);
      await loginUi(page, `reader-${label}`);
      await controlled(page);

      await context.setOffline(true);
      // An address this browser never loaded: the app shell answers for it.
      const offline = await page.goto('/people');
      expect(offline?.fromServiceWorker()).toBe(true);
      expect(offline?.status()).toBe(200);
      await visible(page.locator('.boot-splash'));
      await visible(page.getByRole('status').filter({ hasText: 'You are offline' }));
      await shot(page, `pwa-offline-app-${label}`);
      await expectNoSeriousViolations(page, `offline app shell (${label})`);

      // No reload: the app keeps asking who we are and comes up once the server answers.
      await context.setOffline(false);
      await page.waitForFunction(() => document.documentElement.classList.contains('app-ready'), undefined, { timeout: 20_000 });
      await visible(page.getByRole('heading', { name: 'People', exact: true }));
      expect(await page.locator('.boot-splash').count()).toBe(0);
      expect(page.url()).toMatch(/\/people$/);
      await shot(page, `pwa-back-online-app-${label}`);
      await context.close();
    });
  }

  it('never answers the API from its cache', async () => {
    const { context, page } = await newPage(browser, srv.url);
    await page.goto('/');
    await controlled(page);
    await page.evaluate(() => fetch('/api/v1/rooms').then((r) => r.json()));
    const cached = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
      }
      return urls;
    });
    expect(cached.some((u) => u.startsWith('/assets/'))).toBe(true);
    expect(cached.filter((u) => u.startsWith('/api/'))).toEqual([]);
    await context.setOffline(true);
    const status = await page.evaluate(() =>
      fetch('/api/v1/rooms').then(
        (r) => r.status,
        () => 'network error',
      ),
    );
    expect(status).toBe('network error');
    await context.close();
  });
});
