import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  launchBrowser,
  startServer,
  newPage,
  loginUi,
  contact,
  messageLog,
  composer,
  sendUi,
  visible,
  hidden,
  eventually,
  userApi,
  befriend,
  pasteFiles,
  dropFiles,
  uploadApi,
  shot,
  PHONE,
  type Running,
  type Api,
} from './helpers.js';
import { landscapePng, ogSite, pdf } from './samples.js';

/** A stored message's element in the open conversation, by something inside it. */
function stored(page: Page, has: string) {
  return messageLog(page).locator('.msg:not([data-state])', { has: page.locator(has) });
}

async function openChat(page: Page, name: string): Promise<void> {
  await contact(page, name).getByRole('button').click();
  await visible(messageLog(page));
}

/** The composer's chip for a file, and its upload finishing. */
async function uploadedChip(page: Page, name: string): Promise<void> {
  const chip = page.getByRole('list', { name: 'Files to send' }).getByRole('listitem', { name });
  await visible(chip);
  await eventually(() => chip.getByRole('progressbar').getAttribute('aria-valuenow'), '100');
}

const loadedImage = (img: ReturnType<Page['locator']>) =>
  img.evaluate((i: HTMLImageElement) => (i.complete && i.naturalWidth > 0 ? [i.naturalWidth, i.naturalHeight] : null));

describe('files, images and link previews in the web app', () => {
  let browser: Browser;
  let srv: Running;
  let site: { url: string; close: () => Promise<void> };
  let alice: Api;
  let bob: Api;

  beforeAll(async () => {
    site = await ogSite();
    // Link previews of the local test site need private addresses allowed (never in production).
    [browser, srv] = await Promise.all([launchBrowser(), startServer({ linkPreviews: true, linkPreviewAllowPrivate: true })]);
    [alice, bob] = await Promise.all([userApi(srv.server, 'alice'), userApi(srv.server, 'bob')]);
    await befriend(alice, bob);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await site?.close();
  });

  it('paste an image, drop a PDF, a link preview: the other side sees all three; the image opens full size', async () => {
    const a = await newPage(browser, srv.url);
    const b = await newPage(browser, srv.url);
    await Promise.all([loginUi(a.page, 'alice'), loginUi(b.page, 'bob')]);
    await openChat(a.page, 'bob');
    await openChat(b.page, 'alice');

    // A screenshot pasted into the message box becomes a chip that uploads, with its progress.
    const picture = await landscapePng();
    await pasteFiles(composer(a.page), [picture]);
    await uploadedChip(a.page, 'sunset.png');
    await shot(a.page, 'composer-files-desktop');
    await a.page.getByRole('button', { name: 'Send', exact: true }).click();
    await hidden(a.page.getByRole('list', { name: 'Files to send' }));

    // Bob: the image inline, its box sized from the picture before it loads (640×480 → 4:3), the thumbnail shown.
    const thumb = stored(b.page, '.att-image').getByRole('link', { name: 'Open image sunset.png' });
    await visible(thumb);
    const box = (await thumb.boundingBox())!;
    expect(box.height / box.width).toBeCloseTo(480 / 640, 2);
    const img = thumb.locator('img');
    expect(await img.getAttribute('src')).toMatch(/^\/api\/v1\/files\/\d+\/thumbnail$/);
    await eventually(async () => (await loadedImage(img)) !== null, true);
    expect((await thumb.boundingBox())!.height).toBeCloseTo(box.height, 0); // no jump once loaded

    // A PDF dragged onto the conversation: a visible drop zone while over it, then a chip; sent with text.
    await dropFiles(a.page.locator('section.chat'), [pdf()], async () => {
      await visible(a.page.getByRole('status').filter({ hasText: 'Drop files to send to bob' }));
    });
    await hidden(a.page.getByText('Drop files to send to bob'));
    await uploadedChip(a.page, 'plan.pdf');
    await sendUi(a.page, 'Here is the plan');
    const card = stored(b.page, '.file-card').getByRole('link', { name: /^Download plan\.pdf, .* · PDF$/ });
    await visible(card);
    await visible(stored(b.page, '.file-card').getByText('Here is the plan'));
    const href = (await card.getAttribute('href'))!;
    expect(href).toMatch(/^\/api\/v1\/files\/\d+\?download=1$/);
    const download = await b.page.request.get(href);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-disposition']).toMatch(/^attachment/);
    expect((await download.body()).subarray(0, 5).toString()).toBe('%PDF-');

    // A link: the server's preview arrives later (message.updated); its title's markup is text.
    await sendUi(a.page, `Trip notes: ${site.url}/trip`);
    const preview = messageLog(b.page).locator('.link-card');
    await visible(preview, 20_000);
    await visible(preview.getByText('<b>Lake</b> cabin guide', { exact: true }));
    await visible(preview.getByText('Cabin Notes'));
    expect(await preview.locator('b').count()).toBe(0);
    expect(await preview.getAttribute('href')).toBe(`${site.url}/trip`);
    const ogImg = preview.locator('img');
    expect(await ogImg.getAttribute('src')).toMatch(/^\/api\/v1\/messages\/\d+\/preview-image$/);
    await eventually(async () => (await loadedImage(ogImg)) !== null, true);

    // Alice sees her own three as stored messages too.
    await visible(stored(a.page, '.att-image'));
    await visible(stored(a.page, '.file-card'));
    await visible(messageLog(a.page).locator('.link-card'), 20_000);
    await shot(a.page, 'chat-files-desktop');

    // Bob opens the picture full size: a dialog with the original (not the thumbnail); Escape closes, focus returns.
    await thumb.click();
    const viewer = b.page.getByRole('dialog', { name: 'Image: sunset.png' });
    await visible(viewer);
    await eventually(() => loadedImage(viewer.locator('img')), [640, 480]);
    await shot(b.page, 'image-viewer-desktop');
    await b.page.keyboard.press('Escape');
    await hidden(viewer);
    expect(await b.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Open image sunset.png');

    // The same conversation on a phone.
    const phone = await newPage(browser, srv.url, { viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await loginUi(phone.page, 'bob');
    await openChat(phone.page, 'alice');
    await visible(messageLog(phone.page).locator('.link-card'));
    await eventually(async () => (await loadedImage(messageLog(phone.page).locator('.att-image img'))) !== null, true);
    await shot(phone.page, 'chat-files-phone');

    // Deleted: the files and the preview go with the body, for everyone.
    const imageMsg = stored(a.page, '.att-image');
    await imageMsg.hover();
    await imageMsg.getByRole('button', { name: 'Delete' }).click();
    await hidden(messageLog(b.page).locator('.att-image'));
    await visible(messageLog(b.page).getByText('message deleted'));
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    await Promise.all([a.context.close(), b.context.close(), phone.context.close()]);
  });

  it('the attach button; a refused upload says why on its chip; the chip can be removed; text alone still sends', async () => {
    const a = await newPage(browser, srv.url);
    await loginUi(a.page, 'alice');
    await openChat(a.page, 'bob');
    const [chooser] = await Promise.all([a.page.waitForEvent('filechooser'), a.page.getByRole('button', { name: 'Attach files' }).click()]);
    expect(chooser.isMultiple()).toBe(true);
    await chooser.setFiles([{ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) }]);
    const chip = a.page.getByRole('list', { name: 'Files to send' }).getByRole('listitem', { name: 'empty.txt' });
    await visible(chip.getByRole('alert').filter({ hasText: 'The file is empty' }));
    // A failed chip is not sent: with no text there is nothing to send.
    expect(await a.page.getByRole('button', { name: 'Send', exact: true }).isDisabled()).toBe(true);
    await chip.getByRole('button', { name: 'Remove empty.txt' }).click();
    await hidden(a.page.getByRole('list', { name: 'Files to send' }));
    await sendUi(a.page, 'just text');
    await visible(messageLog(a.page).locator('.msg:not([data-state]) .msg-body', { hasText: 'just text' }));
    await a.context.close();
  });

  it('a public room shows its files to readers who are not logged in, rendered by the server', async () => {
    const rooms = await alice.call('GET', '/api/v1/rooms');
    const lobby = rooms.body.rooms.find((r: any) => r.name === 'lobby').id as string;
    await alice.call('POST', `/api/v1/conversations/${lobby}/join`);
    const image = await uploadApi(srv.server, alice.token, lobby, await landscapePng(320, 200, 'lobby.png'));
    const doc = await uploadApi(srv.server, alice.token, lobby, pdf('agenda.pdf'));
    const sent = await alice.call('POST', `/api/v1/conversations/${lobby}/messages`, {
      body: 'Agenda and a view',
      attachments: [image.id, doc.id],
    });
    expect(sent.status).toBe(201);

    // JavaScript off: the server's HTML has the picture (a link to the full image) and the file card.
    const off = await newPage(browser, srv.url, { javaScriptEnabled: false });
    await off.page.goto('/');
    const img = off.page.locator(`img[src="/api/v1/files/${image.id}/thumbnail"]`);
    await visible(img);
    expect(await off.page.locator(`a.att-image[href="/api/v1/files/${image.id}"]`).count()).toBe(1);
    await visible(off.page.getByRole('link', { name: /^Download agenda\.pdf/ }));
    await eventually(async () => (await loadedImage(img)) !== null, true);
    await off.context.close();

    // JavaScript on: hydrated in place, no mismatch.
    const on = await newPage(browser, srv.url);
    const warnings: string[] = [];
    on.page.on('console', (m) => {
      if (/Hydration/i.test(m.text())) warnings.push(m.text());
    });
    await on.page.goto('/');
    await on.page.waitForFunction(() => document.documentElement.classList.contains('app-ready'));
    const lobbyImage = on.page.getByRole('link', { name: 'Open image lobby.png' });
    await visible(lobbyImage);
    await eventually(async () => (await loadedImage(lobbyImage.locator('img'))) !== null, true);
    await lobbyImage.scrollIntoViewIfNeeded();
    await shot(on.page, 'lobby-files-desktop');
    expect(warnings).toEqual([]);
    expect(on.errors).toEqual([]);
    await on.context.close();
  });
});
