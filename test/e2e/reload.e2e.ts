import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import {
  launchBrowser,
  startServer,
  newPage,
  loginUi,
  contact,
  composer,
  messageLog,
  sendUi,
  storedBodies,
  visible,
  eventually,
  shot,
  userApi,
  befriend,
  PHONE,
  type Api,
  type Running,
} from './helpers.js';

/**
 * Nothing typed is lost on a reload (issue 15 item 6): drafts and unsent
 * messages are kept in the browser per account, resent after a reload with
 * their original clientMsgId (stored once), and cleared on logout.
 */

/**
 * A switch between the page and its server: while `down`, every API request
 * fails as with no network and every WebSocket is closed — except that a
 * send whose body contains `answerLostFor` reaches the server and only its
 * answer is lost (the case where the server already stored the message).
 */
async function cable(context: BrowserContext): Promise<{ down(): void; up(): void; meTries: () => number; answerLostFor: string }> {
  let down = false;
  let meTries = 0;
  const answerLostFor = 'reached the server';
  const sockets: Array<{ page: WebSocketRoute; server: WebSocketRoute }> = [];
  await context.route('**/api/**', async (route) => {
    if (!down) return route.continue();
    const req = route.request();
    if (req.url().endsWith('/api/v1/me')) meTries++;
    if (req.method() === 'POST' && /\/messages$/.test(req.url()) && (req.postData() ?? '').includes(answerLostFor)) {
      await route.fetch();
    }
    return route.abort('internetdisconnected');
  });
  await context.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
    if (down) return ws.close();
    sockets.push({ page: ws, server: ws.connectToServer() });
  });
  return {
    down() {
      down = true;
      for (const s of sockets.splice(0)) {
        void s.page.close();
        void s.server.close();
      }
    },
    up() {
      down = false;
    },
    meTries: () => meTries,
    answerLostFor,
  };
}

async function bodiesOnServer(api: Api, conversationId: string): Promise<string[]> {
  const r = await api.call('GET', `/api/v1/conversations/${conversationId}/messages?limit=100`);
  return r.body.messages.map((m: { body: string }) => m.body);
}

/** What the app keeps in this browser, as text (every localStorage entry of hubbub's). */
function keptText(page: Page): Promise<string> {
  return page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith('hubbub:'))
      .map((k) => `${k}=${localStorage.getItem(k)}`)
      .join('\n'),
  );
}

async function openChatWith(page: Page, name: string): Promise<void> {
  await contact(page, name).getByRole('button').click();
  await visible(page.getByRole('heading', { name: `Chatting with ${name}` }));
}

describe('nothing lost on reload', () => {
  let browser: Browser;
  let srv: Running;
  let alice: Api;
  let bob: Api;
  let convId: string;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
    alice = await userApi(srv.server, 'alice');
    bob = await userApi(srv.server, 'bob');
    await befriend(alice, bob);
    convId = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  for (const [size, viewport] of [
    ['desktop', undefined],
    ['phone', PHONE],
  ] as const) {
    it(`${size}: a draft and messages sent while the server is unreachable survive a reload; each is stored once`, async () => {
      const { context, page, errors } = await newPage(browser, srv.url, viewport ? { viewport } : {});
      const net = await cable(context);
      await loginUi(page, 'alice');
      await openChatWith(page, 'bob');
      const draft = `half-typed ${size} draft, not sent`;
      const lost = `${net.answerLostFor} (${size})`;
      const never = `never left the browser (${size})`;

      net.down();
      await sendUi(page, lost);
      // The server stored it; the page never heard so.
      await eventually(async () => (await bodiesOnServer(bob, convId)).filter((b) => b === lost).length > 0, true);
      await sendUi(page, never);
      await visible(messageLog(page).locator('.msg[data-state]', { hasText: never }));
      await composer(page).fill(draft);
      expect(await keptText(page)).toContain(draft);

      await page.reload();
      // Still unreachable: the app keeps asking who we are instead of showing the login form.
      const tries = net.meTries();
      await eventually(() => Promise.resolve(net.meTries() >= tries + 2), true, 15_000);
      expect(await page.getByLabel('Password', { exact: true }).count()).toBe(0);
      await shot(page, `reload-waiting-for-server-${size}`);

      net.up();
      await visible(page.getByRole('heading', { name: 'Chatting with bob' }), 20_000);
      await eventually(() => composer(page).inputValue(), draft);
      await eventually(async () => (await storedBodies(page)).filter((b) => b === lost || b === never), [lost, never], 20_000);
      expect(await messageLog(page).locator('.msg[data-state]').count()).toBe(0);
      const onServer = await bodiesOnServer(bob, convId);
      expect(onServer.filter((b) => b === lost)).toHaveLength(1);
      expect(onServer.filter((b) => b === never)).toHaveLength(1);
      // Sent: no longer kept; the draft still is.
      const kept = await keptText(page);
      expect(kept).not.toContain(never);
      expect(kept).toContain(draft);
      await shot(page, `reload-draft-restored-${size}`);
      expect(errors).toEqual([]);
      await context.close();
    });
  }

  it('logging out clears what was kept; logging in again finds nothing', async () => {
    const { context, page } = await newPage(browser, srv.url);
    await loginUi(page, 'alice');
    await openChatWith(page, 'bob');
    await composer(page).fill('a draft for nobody else');
    expect(await keptText(page)).toContain('a draft for nobody else');
    await page.getByRole('button', { name: 'Log out' }).click();
    await visible(page.getByRole('link', { name: /log in/i }).or(page.getByRole('button', { name: /log in/i })));
    expect(await keptText(page)).toBe('');
    await loginUi(page, 'alice');
    await openChatWith(page, 'bob');
    expect(await composer(page).inputValue()).toBe('');
    await context.close();
  });

  it('another account signing in on the same browser never sees them', async () => {
    const { context, page } = await newPage(browser, srv.url);
    const net = await cable(context);
    await loginUi(page, 'alice');
    await openChatWith(page, 'bob');
    net.down();
    await sendUi(page, "alice's unsent words");
    await composer(page).fill("alice's private draft");
    expect(await keptText(page)).toContain("alice's private draft");
    // Alice walks away without logging out; her session ends (cookie gone).
    await context.clearCookies();
    net.up();
    // Bob signs in here and opens the very same direct conversation.
    await loginUi(page, 'bob');
    await openChatWith(page, 'alice');
    expect(await composer(page).inputValue()).toBe('');
    expect(await messageLog(page).getByText("alice's unsent words").count()).toBe(0);
    const kept = await keptText(page);
    expect(kept).not.toContain("alice's");
    await context.close();
  });
  it('a refusal that cannot succeed is kept as refused with its code, never resent; Discard lets it go', async () => {
    const { context, page } = await newPage(browser, srv.url);
    await loginUi(page, 'alice');
    await openChatWith(page, 'bob');
    // Over the server's limit: refused however often it is sent; the box keeps it whole and the server refuses it.
    const tooLong = `too long to send ${'x'.repeat(4000)}`;
    await composer(page).evaluate((el, text) => {
      (el as HTMLTextAreaElement).value = text;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, tooLong);
    expect((await composer(page).inputValue()).length).toBe(tooLong.length);
    await composer(page).press('Enter');
    const msg = messageLog(page).locator('.msg[data-state]', { hasText: 'too long to send' });
    await visible(msg.getByText(/Not sent/));
    await eventually(async () => (await keptText(page)).includes('"code":"BODY_TOO_LONG"'), true);

    await page.reload();
    await visible(page.getByRole('heading', { name: 'Chatting with bob' }), 20_000);
    await visible(msg.getByText(/Not sent/));
    expect(await msg.getByText('Sending…').count()).toBe(0);
    expect((await bodiesOnServer(alice, convId)).some((b) => b.startsWith('too long to send'))).toBe(false);
    await shot(page, 'reload-refused-kept-desktop');
    await page.setViewportSize(PHONE);
    await shot(page, 'reload-refused-kept-phone');

    await msg.getByRole('button', { name: 'Discard' }).click();
    await eventually(() => msg.count(), 0);
    expect(await keptText(page)).not.toContain('too long to send');
    await context.close();
  });
});
