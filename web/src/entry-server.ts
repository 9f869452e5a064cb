import { createSSRApp } from 'vue';
import { renderToString } from 'vue/server-renderer';
import PublicRoomView from './components/PublicRoomView.vue';
import type { Message } from './types';

/**
 * The server's way into the web app (built by `vite build --ssr`, imported by
 * src/ssr): a public room rendered by the component the browser hydrates.
 * Times are rendered in UTC (web/src/timeline.ts); everything user-supplied
 * is escaped by Vue's renderer.
 */
export interface PublicRoomPage {
  roomName: string;
  /** False for a room that does not exist (the page says so). */
  found: boolean;
  messages: Message[];
  rooms: Array<{ name: string; memberCount: number }>;
  memberCount: number;
  /** Whether the browser app is built (otherwise the page carries a note). */
  built: boolean;
}

export function renderPublicRoom(page: PublicRoomPage): Promise<string> {
  return renderToString(createSSRApp(PublicRoomView, { ...page, zone: 'utc' }));
}
