import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A web site on 127.0.0.1 for the link-preview suites: pages by path, each
 * request counted, and gates that hold a page's answer until the test opens
 * them (so a test can act while a fetch is in flight, without sleeping).
 */
export class TestSite {
  readonly hits = new Map<string, number>();
  /** Requests in flight, by path (their sockets, to watch them close). */
  readonly open = new Map<string, http.IncomingMessage>();
  private readonly gates = new Map<string, { opened: Promise<void>; open: () => void }>();
  private server!: http.Server;
  base = '';

  constructor(private readonly routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>>) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Holds the answer of `path` until `release(path)`. */
  hold(path: string): void {
    let open!: () => void;
    const opened = new Promise<void>((r) => {
      open = r;
    });
    this.gates.set(path, { opened, open });
  }

  release(path: string): void {
    this.gates.get(path)?.open();
    this.gates.delete(path);
  }

  count(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  async close(): Promise<void> {
    for (const g of this.gates.values()) g.open();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    this.hits.set(path, this.count(path) + 1);
    this.open.set(path, req);
    await this.gates.get(path)?.opened;
    const route = this.routes[path];
    if (!route) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<title>Not found</title>');
    await route(req, res);
  }
}

export const html = (head: string) => `<!doctype html><html><head>${head}</head><body><p>Body text</p></body></html>`;

export function page(head: string): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (_req, res) => void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html(head));
}
