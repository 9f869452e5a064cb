import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  DESKTOP,
  PHONE,
  eventually,
  launchBrowser,
  messageLog,
  newPage,
  shot,
  startServer,
  userApi,
  visible,
  type Api,
  type Running,
} from './helpers.js';

/**
 * The app in Chinese and in English: the browser's language decides, the
 * language menu changes it (and is remembered), the server renders public
 * rooms in the request's Accept-Language, and a refusal is said in words
 * that match its code.
 */

const ZH = { locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };
const EN = { locale: 'en-US', timezoneId: 'America/New_York' };
const PASSWORD = 'hubbub-pass-4821';

const htmlLang = (page: Page) => page.evaluate(() => document.documentElement.lang);

/** Registers through the Chinese form (labels and button in Chinese). */
async function registerZh(page: Page, username: string): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('用户名', { exact: true }).fill(username);
  await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: '注册', exact: true }).click();
  await visible(page.getByRole('tablist', { name: '联系人列表' }));
}

describe('two languages', () => {
  let browser: Browser;
  let srv: Running;
  let bob: Api;

  beforeAll(async () => {
    [browser, srv] = await Promise.all([launchBrowser(), startServer()]);
    bob = await userApi(srv.server, 'bob');
    const rooms = await bob.call('GET', '/api/v1/rooms');
    const lobby = rooms.body.rooms.find((r: { name: string }) => r.name === 'lobby').id;
    await bob.call('POST', `/api/v1/conversations/${lobby}/join`);
    await bob.call('POST', `/api/v1/conversations/${lobby}/messages`, { body: '大家好，欢迎来到大厅！' });
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('a password containing the username is refused in words that say so (en and zh-CN)', async () => {
    for (const [opts, want] of [
      [EN, 'Your password may not contain your username.'],
      [ZH, '密码不能包含你的用户名。'],
    ] as const) {
      const { page, context, errors } = await newPage(browser, srv.url, opts);
      await page.goto('/register');
      const zh = opts.locale === 'zh-CN';
      await page.getByLabel(zh ? '用户名' : 'Username', { exact: true }).fill('carol');
      // 13 characters: long enough, so "at least 8 characters" would be the wrong words.
      await page.getByLabel(zh ? '密码' : 'Password', { exact: true }).fill('carol-rocks-7');
      await page.getByRole('button', { name: zh ? '注册' : 'Register', exact: true }).click();
      await eventually(() => page.getByRole('alert').first().textContent(), want);
      expect(await page.getByRole('alert').first().textContent()).not.toMatch(/8/);
      // A long but guessable password: "too easy to guess", not "at least 8 characters".
      await page.getByLabel(zh ? '密码' : 'Password', { exact: true }).fill('aaaaaaaaaaaa');
      await page.getByRole('button', { name: zh ? '注册' : 'Register', exact: true }).click();
      await eventually(async () => /guess|猜到/.test((await page.getByRole('alert').first().textContent()) ?? ''), true);
      expect(await page.getByRole('alert').first().textContent()).not.toMatch(/8/);
      expect(errors).toEqual([]);
      await context.close();
    }
  });

  it('with a Chinese browser the app is in Chinese; the menu switches to English and is remembered', async () => {
    const { page, context, errors } = await newPage(browser, srv.url, ZH);
    await page.goto('/login');
    await visible(page.getByRole('heading', { name: '欢迎回来' }));
    expect(await htmlLang(page)).toBe('zh-CN');
    expect(await page.title()).toBe('登录 · hubbub');
    await shot(page, 'i18n-login-zh-desktop');
    await page.setViewportSize(PHONE);
    await shot(page, 'i18n-login-zh-phone');
    await page.setViewportSize(DESKTOP);

    await registerZh(page, 'dora');
    // Bob asks; Dora accepts in the Chinese People pane; Bob writes.
    expect((await bob.call('POST', '/api/v1/friends/requests', { username: 'dora' })).status).toBe(201);
    await page.getByRole('link', { name: /^找人，/ }).click();
    await page.getByRole('button', { name: '接受' }).first().click();
    const direct = await bob.call('POST', '/api/v1/direct/dora');
    await bob.call('POST', `/api/v1/conversations/${direct.body.conversation.id}/messages`, { body: '你好，朵拉！' });

    await page.getByRole('complementary', { name: '联系人' }).getByRole('listitem', { name: 'bob', exact: true }).click();
    const log = page.getByRole('log', { name: '聊天记录' });
    await visible(log.getByText('你好，朵拉！'));
    await visible(log.getByRole('separator').getByText('今天'));
    await visible(page.getByRole('heading', { name: '与 bob 聊天中' }));
    await visible(page.getByPlaceholder('发消息给 bob'));
    await visible(page.getByRole('tab', { name: /^好友/ }));
    await visible(page.getByRole('button', { name: '发送' }));
    await page.getByLabel('输入消息', { exact: true }).fill('你好！');
    await page.getByLabel('输入消息', { exact: true }).press('Enter');
    await visible(log.getByText('你好！'));
    await shot(page, 'i18n-chat-zh-desktop');
    await page.setViewportSize(PHONE);
    await shot(page, 'i18n-chat-zh-phone');
    await page.setViewportSize(DESKTOP);

    // The menu: English now, and after a reload.
    await page.getByTestId('language-menu').selectOption('en');
    await visible(page.getByRole('heading', { name: 'Chatting with bob' }));
    await visible(page.getByRole('tab', { name: /^Friends/ }));
    expect(await htmlLang(page)).toBe('en');
    await page.reload();
    await visible(page.getByRole('tablist', { name: 'Contact lists' }));
    expect(await htmlLang(page)).toBe('en');
    await visible(messageLog(page).getByText('你好！'));
    await shot(page, 'i18n-chat-en-desktop');
    await page.setViewportSize(PHONE);
    await shot(page, 'i18n-chat-en-phone');

    // And back.
    await page.setViewportSize(DESKTOP);
    await page.getByTestId('language-menu').selectOption('zh-CN');
    await visible(page.getByRole('tab', { name: /^好友/ }));
    expect(await htmlLang(page)).toBe('zh-CN');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('with an English browser the app is in English', async () => {
    const { page, context, errors } = await newPage(browser, srv.url, EN);
    await page.goto('/login');
    await visible(page.getByRole('heading', { name: 'Welcome back' }));
    expect(await htmlLang(page)).toBe('en');
    await shot(page, 'i18n-login-en-desktop');
    await page.setViewportSize(PHONE);
    await shot(page, 'i18n-login-en-phone');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the server renders the public room in the language of Accept-Language, with lang, Content-Language and Vary', async () => {
    const zh = await fetch(`${srv.url}/`, { headers: { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.8' } });
    const zhHtml = await zh.text();
    expect(zh.headers.get('content-language')).toBe('zh-CN');
    expect(zh.headers.get('vary') ?? '').toMatch(/Accept-Language/i);
    expect(zhHtml).toMatch(/<html[^>]* lang="zh-CN"/);
    expect(zhHtml).toContain('<h2>公开聊天室</h2>');
    expect(zhHtml).toContain('大家好，欢迎来到大厅！');

    // q-values: English is preferred here although Chinese is listed first.
    const en = await fetch(`${srv.url}/`, { headers: { 'Accept-Language': 'zh-CN;q=0.3, en;q=0.9' } });
    const enHtml = await en.text();
    expect(en.headers.get('content-language')).toBe('en');
    expect(enHtml).toMatch(/<html[^>]* lang="en"/);
    expect(enHtml).toContain('<h2>Public rooms</h2>');
    expect(enHtml).not.toContain('<h2>公开聊天室</h2>');

    // The cache keeps one page per language: asking in Chinese again is still Chinese.
    expect(await (await fetch(`${srv.url}/`, { headers: { 'Accept-Language': 'zh' } })).text()).toContain('<h2>公开聊天室</h2>');
  });

  it('a Chinese reader gets the public room in Chinese, with JavaScript off and hydrated without a mismatch', async () => {
    for (const js of [false, true]) {
      const { page, context, errors } = await newPage(browser, srv.url, { ...ZH, javaScriptEnabled: js });
      const warnings: string[] = [];
      page.on('console', (m) => {
        if (/hydration/i.test(m.text())) warnings.push(m.text());
      });
      await page.goto('/');
      await visible(page.getByRole('navigation', { name: '公开聊天室' }));
      await visible(page.getByRole('link', { name: '登录' }).first());
      expect(await htmlLang(page)).toBe('zh-CN');
      if (js) {
        await page.waitForFunction(() => document.documentElement.classList.contains('app-ready'));
        expect(warnings).toEqual([]);
        await shot(page, 'i18n-public-zh-desktop');
        await page.setViewportSize(PHONE);
        await shot(page, 'i18n-public-zh-phone');
      }
      expect(errors).toEqual([]);
      await context.close();
    }
    const { page, context } = await newPage(browser, srv.url, EN);
    await page.goto('/');
    await visible(page.getByRole('navigation', { name: 'Public rooms' }));
    await shot(page, 'i18n-public-en-desktop');
    await page.setViewportSize(PHONE);
    await shot(page, 'i18n-public-en-phone');
    await context.close();
  });
});
