import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { testServer, userApi, befriend, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';

export { userApi, befriend, type Api };

export const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
export const SHOTS = path.join(ROOT, 'test-results/screenshots');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Debian's chromium, headless, nothing phoning home. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface Running {
  server: Server & { dataDir: string };
  url: string;
  close(): Promise<void>;
}

/** A fresh server on a temp data dir, listening on a random local port, serving web/dist. */
export async function startServer(): Promise<Running> {
  const server = await testServer({ webDir: path.join(ROOT, 'web/dist') });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = server.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    server,
    url,
    async close() {
      await server.close();
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    },
  };
}

export async function newPage(
  browser: Browser,
  url: string,
  opts: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page; dialogs: string[]; errors: string[] }> {
  const context = await browser.newContext({ baseURL: url, viewport: DESKTOP, locale: 'en-GB', timezoneId: 'Europe/London', ...opts });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    // confirm() for leaving is accepted; anything else (alert from a script) is recorded and dismissed.
    if (d.type() === 'confirm') void d.accept();
    else void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  // The pages run under a strict CSP: any violation is a bug.
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) errors.push(`CSP: ${m.text()}`);
  });
  return { context, page, dialogs, errors };
}

/** Waits until the locator is visible (playwright-core has no expect of its own). */
export async function visible(l: Locator, timeout = 10_000): Promise<Locator> {
  await l.first().waitFor({ state: 'visible', timeout });
  return l;
}

export async function hidden(l: Locator, timeout = 10_000): Promise<void> {
  await l.first().waitFor({ state: 'hidden', timeout });
}

/** Polls until fn() deep-equals want; shows the last value when it never does. */
export async function eventually<T>(fn: () => Promise<T>, want: T, timeout = 10_000): Promise<void> {
  await expect.poll(fn, { timeout, interval: 100 }).toEqual(want);
}

/** Registers through the UI; ends on the signed-in screen. */
export async function registerUi(page: Page, username: string, password = 'hubbub-pass-4821', displayName?: string): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Username', { exact: true }).fill(username);
  if (displayName) await page.getByLabel(/Display name/).fill(displayName);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Register', exact: true }).click();
  await visible(page.getByRole('tablist', { name: 'Contact lists' }));
}

export async function loginUi(page: Page, username: string, password = 'hubbub-pass-4821'): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await visible(page.getByRole('tablist', { name: 'Contact lists' }));
}

/** A contact entry (friend, group or room) in the left panel. */
export function contact(page: Page, name: string): Locator {
  return page.getByRole('complementary', { name: 'Contacts' }).getByRole('listitem', { name, exact: true });
}

export function messageLog(page: Page): Locator {
  return page.getByRole('log', { name: 'Messages' });
}

export function composer(page: Page): Locator {
  return page.getByLabel('Message', { exact: true });
}

export async function sendUi(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** Stored (not pending) messages in the open conversation, as text. */
export async function storedBodies(page: Page): Promise<string[]> {
  return messageLog(page).locator('.msg:not([data-state]) .msg-body').allTextContents();
}

export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  // Let transitions settle; caret blink and spinners are masked by animations=disabled.
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled', caret: 'hide' });
}
