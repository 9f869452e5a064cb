import type { Message } from './types';

/** The initial data the server put into the page (public rooms), read once. */
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

/** The server's data for this room, the first time it is asked for. */
export function takeSsrData(roomName: string): SsrData | null {
  if (consumed || !data || data.room.name !== roomName) return null;
  consumed = true;
  return data;
}
