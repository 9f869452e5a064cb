/**
 * The colour theme: "system" follows the browser's prefers-color-scheme
 * (styles.css does that with no script at all, so server-rendered pages with
 * JavaScript off get it too); "light" and "dark" override it with
 * `data-theme` on <html>. The choice is per browser, in localStorage.
 *
 * main.ts imports this module first, so the stored override is applied before
 * the app mounts. Importing it has that one effect; everything else is explicit.
 */

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];
const STORAGE_KEY = 'hubbub.theme';

/** The parts of the browser this module touches; tests pass their own. */
export interface ThemeHost {
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  root: Pick<HTMLElement, 'setAttribute' | 'removeAttribute'> | null;
  prefersDark(): boolean;
}

function browserHost(): ThemeHost {
  const hasWindow = typeof window !== 'undefined';
  return {
    storage: hasWindow ? safeLocalStorage() : null,
    root: typeof document !== 'undefined' ? document.documentElement : null,
    prefersDark: () => hasWindow && typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches,
  };
}

/** localStorage throws in some privacy modes; the theme then simply is not remembered. */
function safeLocalStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function isThemeChoice(value: unknown): value is ThemeChoice {
  return typeof value === 'string' && (THEME_CHOICES as readonly string[]).includes(value);
}

/** The stored choice; anything unknown or unreadable counts as "system". */
export function themeChoice(host: ThemeHost = browserHost()): ThemeChoice {
  let stored: string | null = null;
  try {
    stored = host.storage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    stored = null;
  }
  return isThemeChoice(stored) ? stored : 'system';
}

/** The theme actually shown for a choice: "system" resolves through prefers-color-scheme. */
export function effectiveTheme(choice: ThemeChoice = themeChoice(), host: ThemeHost = browserHost()): Theme {
  if (choice === 'system') return host.prefersDark() ? 'dark' : 'light';
  return choice;
}

/** Shows a choice without storing it: "system" removes the override so the stylesheet's media query decides. */
export function applyTheme(choice: ThemeChoice, host: ThemeHost = browserHost()): void {
  if (!host.root) return;
  if (choice === 'system') host.root.removeAttribute('data-theme');
  else host.root.setAttribute('data-theme', choice);
}

/** Stores and shows a choice (the settings page calls this). "system" forgets the override. */
export function setThemeChoice(choice: ThemeChoice, host: ThemeHost = browserHost()): void {
  try {
    if (choice === 'system') host.storage?.removeItem(STORAGE_KEY);
    else host.storage?.setItem(STORAGE_KEY, choice);
  } catch {
    // Not remembered (storage full or denied) — still shown for this page.
  }
  applyTheme(choice, host);
}

/** Another tab changed the theme: follow it, so two open tabs never disagree. */
function followOtherTabs(): void {
  if (typeof window === 'undefined') return;
  window.addEventListener('storage', (event) => {
    if (event.key === STORAGE_KEY || event.key === null) applyTheme(themeChoice());
  });
}

applyTheme(themeChoice());
followOtherTabs();
