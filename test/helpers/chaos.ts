import WebSocket from 'ws';
import type { Message } from '../../client/index.js';
import type { WebSocketCtor } from '../../client/transports/ws.js';

/**
 * What the chaos suites count on the client side: every refusal a send got,
 * by code, whichever way it went (an HTTP answer or a WebSocket error frame).
 * Counted where the SDK reads them, so "every refused send was 503
 * STORE_UNAVAILABLE" is checked on what a client really saw.
 */
export class Refusals {
  readonly byCode = new Map<string, number>();
  /** HTTP refusals of a message POST, by status (a WebSocket frame has none). */
  readonly httpStatus = new Map<number, number>();
  readonly retryAfter = new Set<string | null>();
  /** Refusals by the client they went to (the `who` given to `fetch` / `webSocket`). */
  readonly byClient = new Map<string, number>();

  add(code: string, who: string): void {
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    this.byClient.set(who, (this.byClient.get(who) ?? 0) + 1);
  }

  of(who: string): number {
    return this.byClient.get(who) ?? 0;
  }

  get total(): number {
    let n = 0;
    for (const v of this.byCode.values()) n += v;
    return n;
  }

  /** For assertion messages and the report: `{"STORE_UNAVAILABLE": 12}`. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.byCode);
  }

  /** A fetch that records the refusals of message POSTs (the sends), then hands the answer on untouched. */
  fetch(who = ''): typeof fetch {
    return async (input, init) => {
      const res = await fetch(input, init);
      const url = String(input instanceof Request ? input.url : input);
      if (init?.method === 'POST' && /\/messages$/.test(url) && !res.ok) {
        const body = (await res
          .clone()
          .json()
          .catch(() => null)) as { error?: { code?: string } } | null;
        this.add(body?.error?.code ?? `HTTP_${res.status}`, who);
        this.httpStatus.set(res.status, (this.httpStatus.get(res.status) ?? 0) + 1);
        this.retryAfter.add(res.headers.get('retry-after'));
      }
      return res;
    };
  }

  /** `ws`'s WebSocket, recording every error frame that answers a `send`. */
  webSocket(who = ''): WebSocketCtor {
    const refusals = this;
    return class RecordingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
        super(url, protocols, options);
        const sends = new Set<string>();
        const send = this.send.bind(this);
        this.send = ((data: unknown, ...rest: unknown[]) => {
          const f = typeof data === 'string' ? (JSON.parse(data) as { type?: string; ref?: string }) : null;
          if (f?.type === 'send' && f.ref) sends.add(f.ref);
          return (send as (...a: unknown[]) => void)(data, ...rest);
        }) as typeof this.send;
        this.on('message', (data, isBinary) => {
          if (isBinary) return;
          const f = JSON.parse(data.toString()) as { type?: string; ref?: string; error?: { code?: string } };
          if (f.type === 'error' && f.ref && sends.delete(f.ref)) refusals.add(f.error?.code ?? 'UNKNOWN', who);
        });
      }
    };
  }
}

/** Every message of a conversation as stored, oldest first (paged backwards over HTTP). */
export async function storedMessages(baseUrl: string, token: string, conversationId: string): Promise<Message[]> {
  const out: Message[] = [];
  let before: string | undefined;
  for (;;) {
    const res = await fetch(`${baseUrl}/api/v1/conversations/${conversationId}/messages?limit=100${before ? `&before=${before}` : ''}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw new Error(`messages: ${res.status} ${await res.text()}`);
    const page = ((await res.json()) as { messages: Message[] }).messages;
    if (page.length === 0) return out;
    out.unshift(...page);
    before = page[0]!.id;
  }
}

/** `n` lanes' worth of bodies `lane:k`: each lane's messages in the order they were sent. */
export function laneOrder(messages: readonly Message[], lane: number): number[] {
  return messages.filter((m) => m.body.startsWith(`${lane}:`)).map((m) => Number(m.body.split(':')[1]));
}

/**
 * `waitFor` on the monotonic clock: for tests that move the wall clock, where a
 * deadline taken from Date.now would never come (clock moved back) or would
 * come at once (moved forward).
 */
export async function waitMonotonic(
  cond: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
