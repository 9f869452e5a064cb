import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { testServer, userApi, befriend, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';
import type { ConfigInput } from '../../src/config.js';

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
export async function startServer(config: ConfigInput = {}): Promise<Running> {
  const server = await testServer({ webDir: path.join(ROOT, 'web/dist'), ...config });
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

/** A file for the browser: its name, type and bytes (sent into the page as base64). */
export interface FileSpec {
  name: string;
  type: string;
  bytes: Buffer;
}

function wire(files: FileSpec[]): Array<{ name: string; type: string; b64: string }> {
  return files.map((f) => ({ name: f.name, type: f.type, b64: f.bytes.toString('base64') }));
}

/** Pastes files into an element as the browser does for a copied screenshot: a ClipboardEvent whose DataTransfer holds them. */
export async function pasteFiles(target: Locator, files: FileSpec[]): Promise<void> {
  await target.evaluate((el, list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, wire(files));
}

/**
 * Drags files over an element and drops them, as from the desktop: dragenter
 * and dragover (the drop zone shows; `whileOver` runs then), then drop.
 */
export async function dropFiles(target: Locator, files: FileSpec[], whileOver?: () => Promise<void>): Promise<void> {
  const dt = await target.page().evaluateHandle((list) => {
    const d = new DataTransfer();
    for (const f of list) d.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    return d;
  }, wire(files));
  await target.dispatchEvent('dragenter', { dataTransfer: dt });
  await target.dispatchEvent('dragover', { dataTransfer: dt });
  if (whileOver) await whileOver();
  await target.dispatchEvent('drop', { dataTransfer: dt });
  await dt.dispose();
}

/** Uploads a file through the API (multipart, as the SDK does) and returns the attachment. */
export async function uploadApi(server: Server, token: string, conversationId: string, file: FileSpec): Promise<any> {
  const boundary = `----hubbub${Math.random().toString(16).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`;
  const payload = Buffer.concat([Buffer.from(head), file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const res = await server.app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conversationId}/attachments`,
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  });
  if (res.statusCode !== 201) throw new Error(`upload ${file.name}: ${res.statusCode} ${res.body}`);
  return res.json().attachment;
}
