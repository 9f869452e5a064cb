import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, type Server } from '../../src/server.js';
import type { ConfigInput } from '../../src/config.js';
import type { AppOptions } from '../../src/http/app.js';

/** A server on a fresh temp data dir, cheap password hashing and roomy rate limits. */
export async function testServer(input: ConfigInput = {}, appOpts: AppOptions = {}): Promise<Server & { dataDir: string }> {
  const dataDir = input.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-test-'));
  const server = await createServer(
    {
      dataDir,
      port: 0,
      logLevel: 'silent',
      scryptCost: 1 << 10,
      maxConnections: 100_000,
      maxConnectionsPerUser: 10_000,
      maxConnectionsPerIp: 100_000,
      ...input,
      rateLimits: {
        login: 1000,
        loginPerIp: 1_000_000,
        register: 100000,
        send: 100000,
        typing: 100000,
        friendRequests: 100000,
        sendPerIp: 1_000_000,
        typingPerIp: 1_000_000,
        friendRequestsPerIp: 1_000_000,
        ...input.rateLimits,
      },
    },
    appOpts,
  );
  return Object.assign(server, { dataDir });
}

export interface Api {
  token: string;
  user: { id: string; username: string; displayName: string };
  call<T = any>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/** Registers a user and returns a bearer-token caller bound to the app via inject(). */
export async function userApi(server: Server, username: string, password = 'hubbub-pass-4821'): Promise<Api> {
  const reg = await server.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username, password } });
  if (reg.statusCode !== 201) throw new Error(`register ${username}: ${reg.statusCode} ${reg.body}`);
  const tok = await server.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username, password } });
  const token = tok.json().token as string;
  return {
    token,
    user: reg.json().user,
    async call(method, url, body) {
      const res = await server.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: res.statusCode, body: (res.body ? res.json() : undefined) as any };
    },
  };
}

export async function befriend(a: Api, b: Api): Promise<void> {
  const r = await a.call('POST', '/api/v1/friends/requests', { username: b.user.username });
  if (r.status !== 201) throw new Error(`friend request: ${r.status} ${JSON.stringify(r.body)}`);
  const reqs = await b.call('GET', '/api/v1/friends/requests');
  const req = reqs.body.incoming.find((x: any) => x.from.id === a.user.id);
  const ok = await b.call('POST', `/api/v1/friends/requests/${req.id}/accept`);
  if (ok.status !== 200) throw new Error(`accept: ${ok.status} ${JSON.stringify(ok.body)}`);
}

/** An in-process node listening on a free port: a testServer on a shared PostgreSQL schema and Redis bus prefix. */
export async function listeningNode(
  pgUrl: string,
  isolation: { schema: string; busPrefix: string },
  nodeId: string,
  redisUrl: string,
): Promise<{ server: Server; base: string }> {
  const server = await testServer({
    databaseUrl: pgUrl,
    databaseSchema: isolation.schema,
    redisUrl,
    busPrefix: isolation.busPrefix,
    nodeId,
  });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.app.server.address() as { port: number };
  return { server, base: `http://127.0.0.1:${port}` };
}
