import type { Message } from './types';

/**
 * The data the server rendered a public room from (src/ssr), carried in the
 * page as `<script type="application/json" id="ssr-data">`: inert under the
 * CSP (no inline script runs), read once. Hydration renders from exactly
 * this data, so the first browser render matches the server's HTML.
 */
export interface SsrData {
  room: { id: string; name: string; memberCount: number };
  messages: Message[];
  rooms: Array<{ name: string; memberCount: number }>;
}

let consumed = false;
const el = document.getElementById('ssr-data');
const data: SsrData | null = (() => {
  if (!el?.textContent) return null;
  try {
    return JSON.parse(el.textContent) as SsrData;
  } catch {
    return null;
  }
})();

/** The room the server rendered this page for, or null (an app route, a room not found). */
export function ssrRoomName(): string | null {
  return consumed ? null : (data?.room.name ?? null);
}

/** The server's data for this room, the first time it is asked for. */
export function takeSsrData(roomName: string): SsrData | null {
  if (consumed || !data || data.room.name !== roomName) return null;
  consumed = true;
  return data;
}
