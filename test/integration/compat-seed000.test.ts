import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../e2e/helpers.js';
import { testServer, userApi } from '../helpers/server.js';

/**
 * Seed 000's jQuery long-poll client, run as the seed prints it, in Chromium,
 * with jQuery 3 from npm, against hubbub (issue 11, item 10). The only line
 * added is the one the seed leaves to its reader ("add the handling logic
 * here"): it records the texts the page would show.
 */
const SEED_CLIENT = `
var updater = {
    cursor:null,

    poll: function () {
        $.ajax({
            type: 'post',
            url: '/updatemsg',
            data:{
                cursor:updater.cursor
            },
            success: function (res) {
                var data = JSON.parse(res)
                if (data.code == 0) {
                    // (the seed: "add the handling logic here")
                    for (var i = 0; i < data.history.length; i++) window.shown.push(data.history[i].text)
                    updater.cursor = data.history[data.history.length-1].id
                    window.setTimeout(updater.poll, 0);
                }
            },
            error: function (err) {
                console.log(err)
            }
        })
    }
}
`;

const jquery = fs.readFileSync(createRequire(import.meta.url).resolve('jquery/dist/jquery.min.js'), 'utf8');
const scriptSafe = (js: string) => js.replace(/<\/script/gi, '<\\/script');
const wallPage = `<!DOCTYPE html><meta charset="utf-8"><title>seed 000</title>
<script>${scriptSafe(jquery)}</script>
<script>window.shown = []; window.logged = [];
console.log = function () { window.logged.push(Array.prototype.slice.call(arguments)); };
${SEED_CLIENT}
updater.poll();
</script>`;

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("seed 000's jQuery client, verbatim, in a real browser", () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof testServer>>;
  let base: string;
  let port: number;

  const lobby = async (): Promise<string[]> => {
    const r = await server.app.inject({ method: 'GET', url: '/api/v1/rooms/lobby/messages?limit=100' });
    return r.json().messages.map((m: { body: string }) => m.body);
  };

  beforeAll(async () => {
    // maxWaitSeconds 1: each idle round (and so each keep-alive beat) lasts one second instead of 55.
    [browser, server] = await Promise.all([launchBrowser(), testServer({ maxWaitSeconds: 1 })]);
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    port = (server.app.server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Opens the seed's page at `origin` (served by the test, so it is that origin's page) and records its errors and polls. */
  async function openWall(origin: string, html: string) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.route(`${origin}/wall.html`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
    // Bytes arriving on each /updatemsg request, as the browser's network stack sees them.
    const cdp = await context.newCDPSession(page);
    const polls = new Map<string, number>();
    cdp.on('Network.requestWillBeSent', (e) => {
      if (e.request.url.endsWith('/updatemsg')) polls.set(e.requestId, 0);
    });
    cdp.on('Network.dataReceived', (e) => {
      if (polls.has(e.requestId)) polls.set(e.requestId, polls.get(e.requestId)! + e.dataLength);
    });
    await cdp.send('Network.enable');
    await page.goto(`${origin}/wall.html`);
    return { context, page, errors, polls };
  }

  const shown = (page: Page) => page.evaluate(() => (window as unknown as { shown: string[] }).shown);

  it('shows the history and new messages, survives idle rounds, and posts from its own page', async () => {
    for (const q of ['first', '<b>bold?</b> & "quoted" </script>']) {
      const r = await fetch(`${base}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: q }),
      });
      expect(r.status).toBe(200);
    }
    const { context, page, errors, polls } = await openWall(base, wallPage);

    await until(async () => (await shown(page)).length >= 2, 'the history to be shown');
    expect(await shown(page)).toEqual(['first', '<b>bold?</b> & "quoted" </script>']);

    // Idle: the next poll is held; three rounds of maxWaitSeconds pass with only keep-alive bytes.
    await until(() => [...polls.values()].some((n) => n >= 3), 'three keep-alive beats on the held poll');
    expect(errors).toEqual([]);

    const alice = await userApi(server, 'alice', 'wall-watcher passphrase 7731');
    const rooms = await alice.call('GET', '/api/v1/rooms');
    const lobbyId = rooms.body.rooms.find((r: { name: string }) => r.name === 'lobby').id as string;
    await alice.call('POST', `/api/v1/conversations/${lobbyId}/join`);
    expect((await alice.call('POST', `/api/v1/conversations/${lobbyId}/messages`, { body: 'from v1 after the quiet' })).status).toBe(201);
    await until(async () => (await shown(page)).length >= 3, 'the v1 message to be shown');

    // The page's own post (same origin: Chromium sends Origin, the server accepts it).
    const status = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const $ = (window as unknown as { $: any }).$;
          $.post('/chat', { query: 'typed on the page' }).always((_a: unknown, _b: unknown, xhr: { status: number }) =>
            resolve(xhr.status ?? (_a as { status: number }).status),
          );
        }),
    );
    expect(status).toBe(200);
    await until(async () => (await shown(page)).length >= 4, 'the page post to be shown');
    expect(await shown(page)).toEqual(['first', '<b>bold?</b> & "quoted" </script>', 'from v1 after the quiet', 'typed on the page']);
    expect(errors).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { logged: unknown[] }).logged)).toEqual([]);
    await context.close();
  });

  it('a page on another origin cannot post to /chat: its form and its fetch are refused (403), nothing stored', async () => {
    const before = await lobby();
    const evil = `http://localhost:${port}`; // another origin for the browser: another host name
    const attack = `<!DOCTYPE html><meta charset="utf-8"><form method="post" action="${base}/chat"><input name="query" value="csrf by form"></form>
<script>fetch(${JSON.stringify(base + '/chat')}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=csrf+by+fetch' })
  .finally(function () { document.forms[0].submit(); });</script>`;
    const { context, page } = await openWall(evil, attack).catch(async () => {
      throw new Error('could not open the attacker page');
    });
    const answer = await page.waitForResponse((r) => r.url() === `${base}/chat` && r.request().resourceType() === 'document');
    expect(answer.status()).toBe(403);
    expect(await lobby()).toEqual(before);
    await context.close();
  });
});
