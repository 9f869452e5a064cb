import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/domain/types.js';
import type { Server } from '../../src/server.js';
import { waitFor } from '../helpers/cluster.js';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import { page, TestSite } from './link-preview.helpers.js';

/**
 * Without linkPreviewAllowPrivate (the default), a link to this machine, the
 * private network or the cloud metadata service is never fetched: the
 * previewer refuses it before connecting, and the message stays without a
 * preview. (The guard's rules one by one, redirects and DNS pinning:
 * test/unit/net-guard.test.ts.)
 */
describe('link previews refuse private addresses', () => {
  let s: Server;
  let alice: Api, bob: Api;
  let conv: string;
  let site: TestSite;

  beforeAll(async () => {
    site = await new TestSite({ '/page': page('<title>Internal</title>') }).start();
    s = await testServer();
    [alice, bob] = [await userApi(s, 'alice'), await userApi(s, 'bob')];
    await befriend(alice, bob);
    conv = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
  });
  afterAll(async () => {
    await s.close();
    await site.close();
  });

  it('refuses loopback, private, link-local and mapped addresses, and names that resolve to them', async () => {
    expect(s.config.linkPreviewAllowPrivate).toBe(false);
    const links = [
      `${site.base}/page`, // the live site on 127.0.0.1: it would answer if asked
      'http://127.0.0.1/page',
      'http://10.0.0.5/',
      'http://192.168.1.1/admin',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00::1]/',
      'http://localhost/',
      'http://2130706433/',
    ];
    const ids: string[] = [];
    for (const link of links) {
      const r = await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: `look ${link}` });
      expect(r.status).toBe(201);
      ids.push(r.body.message.id);
    }
    await waitFor(() => s.previews.stats().blocked === links.length, 'every link to be refused');
    expect(s.previews.stats()).toMatchObject({ stored: 0, failed: 0, inFlight: 0 });
    expect(site.count('/page')).toBe(0);
    const history = (await bob.call('GET', `/api/v1/conversations/${conv}/messages?limit=100`)).body.messages as Message[];
    for (const id of ids) expect(history.find((m) => m.id === id)?.linkPreview).toBeNull();
  });
});
