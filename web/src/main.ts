import './theme';
import { createApp, createSSRApp, watch } from 'vue';
import App from './App.vue';
import PublicRoom from './components/PublicRoom.vue';
import { router, type Route } from './router';
import { ssrRoomName } from './ssr-data';
import { boot, start, state } from './store';
import { i18n, initLocale, serverLocale } from './i18n';
import './styles.css';
import './messages.css';
import './files.css';
import './search.css';

/**
 * The server-rendered page (a public room, or a splash) stays on screen until
 * we know who is reading. A reader who is not logged in, on the room the
 * server rendered, gets that HTML hydrated in place (no re-render, no flash);
 * anyone else gets the app mounted over it.
 */
async function main(): Promise<void> {
  const locale = initLocale();
  start();
  await boot().catch((err) => console.error('hubbub: could not start the session', err));
  const room = ssrRoomName();
  // Hydration needs the server's words: a reader in another language gets the page mounted afresh.
  // (A page without data-server-lang comes from a server that renders in English only.)
  const rendered = serverLocale() ?? 'en';
  if (room !== null && state.phase === 'anon' && publicRoomOf(router.route) === room && locale === rendered) hydrateRoom(room);
  else createApp(App).use(i18n).mount('#app');
  document.documentElement.classList.add('app-ready');
}

/** The public room a route shows to a reader who is not logged in (App.vue: "/" is the lobby). */
function publicRoomOf(route: Route): string | null {
  if (route.name === 'home') return 'lobby';
  return route.name === 'room' ? route.roomName : null;
}

/**
 * Hydrates the server's HTML with the same component the app shows there,
 * and hands over to the whole app once the reader goes elsewhere or logs in.
 */
function hydrateRoom(room: string): void {
  const page = createSSRApp(PublicRoom, { roomName: room }).use(i18n);
  page.mount('#app');
  const stop = watch(
    () => [state.phase, publicRoomOf(router.route)] as const,
    ([phase, now]) => {
      if (phase === 'anon' && now === room) return;
      stop();
      page.unmount();
      createApp(App).use(i18n).mount('#app');
    },
  );
}

void main();
