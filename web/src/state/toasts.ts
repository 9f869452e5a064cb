import { state } from './app-state';

/** How long a toast stays up: long enough to read two lines. */
const TOAST_MS = 4500;

let timer: ReturnType<typeof setTimeout> | null = null;

/** One short message at the bottom of the screen; a new one replaces the old. */
export function toast(text: string, kind: 'info' | 'error' = 'info'): void {
  state.toast = { text, kind };
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    state.toast = null;
    timer = null;
  }, TOAST_MS);
}
