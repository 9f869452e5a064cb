import { reactive } from 'vue';

/** A tiny history router: the app has a handful of flat routes. */
export type Route =
  | { name: 'home' }
  | { name: 'login' }
  | { name: 'register' }
  | { name: 'conversation'; id: string }
  | { name: 'room'; roomName: string }
  | { name: 'people' }
  | { name: 'rooms' }
  | { name: 'notFound' };

export function parse(pathname: string): Route {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/') return { name: 'home' };
  if (p === '/login') return { name: 'login' };
  if (p === '/register') return { name: 'register' };
  if (p === '/people') return { name: 'people' };
  if (p === '/rooms') return { name: 'rooms' };
  let m = /^\/c\/([0-9]{1,15})$/.exec(p);
  if (m) return { name: 'conversation', id: m[1]! };
  m = /^\/r\/([^/]{1,64})$/.exec(p);
  if (m) return { name: 'room', roomName: decodeURIComponent(m[1]!) };
  return { name: 'notFound' };
}

export const router = reactive({ route: parse(location.pathname) as Route, path: location.pathname });

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === location.pathname) {
    router.route = parse(path);
    return;
  }
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  router.path = path;
  router.route = parse(path);
}

window.addEventListener('popstate', () => {
  router.path = location.pathname;
  router.route = parse(location.pathname);
});

/** Same-origin links inside the app navigate without a reload. */
export function onLinkClick(ev: MouseEvent, path: string): void {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  ev.preventDefault();
  navigate(path);
}
