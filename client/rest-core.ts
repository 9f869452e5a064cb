import { HubbubError } from './types.js';

export type FetchLike = typeof fetch;

export interface RestOptions {
  baseUrl: () => string;
  fetch: FetchLike;
  token?: string | null;
}

const SESSION_COOKIE = 'hubbub_session';

/**
 * One HTTP request to the API, authenticated. Authentication is a bearer
 * token (`token`) or the session cookie: browsers keep the cookie themselves
 * (`credentials: 'include'`); in Node the session cookie is kept here. The
 * CSRF token from register/login/me is sent on every mutation. A refusal
 * becomes a HubbubError with the server's catalog code.
 */
export class RestCore {
  token: string | null;
  csrfToken: string | null = null;
  /** `name=value` of the session cookie when running outside a browser. */
  cookie: string | null = null;

  constructor(private readonly opts: RestOptions) {
    this.token = opts.token ?? null;
  }

  /** Headers that authenticate a request made outside fetch (a Node WebSocket). */
  authHeaders(): Record<string, string> {
    if (this.token) return { authorization: `Bearer ${this.token}` };
    if (this.cookie) return { cookie: this.cookie };
    return {};
  }

  url(path: string): string {
    return this.opts.baseUrl().replace(/\/+$/, '') + path;
  }

  /** Authentication and, on a cookie session's mutation, the CSRF token. */
  headersFor(method: string): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.authHeaders() };
    if (method !== 'GET' && method !== 'HEAD' && !this.token && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    return headers;
  }

  async request<T>(method: string, path: string, body?: unknown, init: { signal?: AbortSignal } = {}): Promise<T> {
    const headers = this.headersFor(method);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchRaw(method, path, {
      headers,
      signal: init.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text().catch(() => '');
    return answerOf<T>(res.status, text, res.headers.get('retry-after'));
  }

  /**
   * One authenticated fetch, answered as it comes (any status); only a
   * failure to get an answer at all throws (NETWORK, or ABORTED).
   */
  async fetchRaw(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; signal?: AbortSignal; body?: BodyInit } = {},
  ): Promise<Response> {
    let res: Response;
    try {
      res = await this.opts.fetch(this.url(path), {
        method,
        headers: init.headers ?? this.headersFor(method),
        credentials: 'include',
        signal: init.signal,
        body: init.body,
      });
    } catch (err) {
      if (init.signal?.aborted) throw new HubbubError('ABORTED', 'The request was aborted.');
      throw new HubbubError('NETWORK', `No answer from the server: ${(err as Error).message}`);
    }
    this.keepCookie(res);
    return res;
  }

  private keepCookie(res: Response): void {
    const list = (res.headers as Headers & { getSetCookie?: () => string[] }).getSetCookie?.() ?? [];
    for (const line of list) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (pair!.slice(0, eq).trim() !== SESSION_COOKIE) continue;
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === '';
      this.cookie = expired ? null : `${SESSION_COOKIE}=${value}`;
    }
  }
}

/**
 * An answer's JSON body, or — for a refusal — the HubbubError with the
 * server's catalog code (`HTTP_<status>` when the body is not the API's,
 * e.g. a proxy's error page).
 */
export function answerOf<T>(status: number, text: string, retryAfter: string | null): T {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: handled below by status
  }
  if (status < 200 || status >= 300) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new HubbubError(e?.code ?? `HTTP_${status}`, e?.message ?? `HTTP ${status}`, status, retryAfterMs(retryAfter));
  }
  return json as T;
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[A-Za-z]/.test(v)) return null; // Date.parse would take "-1" for a year
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}
