import { describe, expect, it } from 'vitest';
import { applyTheme, effectiveTheme, setThemeChoice, themeChoice, type ThemeHost } from '../../web/src/theme';

/** A browser stand-in: a Map for localStorage, a record of <html>'s attributes, a settable system preference. */
function fakeHost(opts: { stored?: string; dark?: boolean; brokenStorage?: boolean } = {}) {
  const items = new Map<string, string>(opts.stored === undefined ? [] : [['hubbub.theme', opts.stored]]);
  const attrs = new Map<string, string>();
  const fail = () => {
    throw new Error('SecurityError');
  };
  const host: ThemeHost = {
    storage: opts.brokenStorage
      ? { getItem: fail, setItem: fail, removeItem: fail }
      : { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) },
    root: { setAttribute: (k, v) => void attrs.set(k, v), removeAttribute: (k) => void attrs.delete(k) },
    prefersDark: () => opts.dark ?? false,
  };
  return { host, items, attrs };
}

describe('theme choice', () => {
  it('is "system" when nothing, or nonsense, is stored', () => {
    expect(themeChoice(fakeHost().host)).toBe('system');
    expect(themeChoice(fakeHost({ stored: 'purple' }).host)).toBe('system');
    expect(themeChoice(fakeHost({ brokenStorage: true }).host)).toBe('system');
  });

  it('reads a stored override', () => {
    expect(themeChoice(fakeHost({ stored: 'dark' }).host)).toBe('dark');
    expect(themeChoice(fakeHost({ stored: 'light' }).host)).toBe('light');
  });

  it('"system" resolves through prefers-color-scheme; an override does not', () => {
    expect(effectiveTheme('system', fakeHost({ dark: true }).host)).toBe('dark');
    expect(effectiveTheme('system', fakeHost({ dark: false }).host)).toBe('light');
    expect(effectiveTheme('light', fakeHost({ dark: true }).host)).toBe('light');
    expect(effectiveTheme('dark', fakeHost({ dark: false }).host)).toBe('dark');
  });

  it('an override sets data-theme; "system" removes it so the stylesheet follows the system', () => {
    const { host, attrs } = fakeHost();
    applyTheme('dark', host);
    expect(attrs.get('data-theme')).toBe('dark');
    applyTheme('system', host);
    expect(attrs.has('data-theme')).toBe(false);
  });

  it('setThemeChoice stores and shows; "system" forgets the stored override', () => {
    const { host, items, attrs } = fakeHost();
    setThemeChoice('light', host);
    expect(items.get('hubbub.theme')).toBe('light');
    expect(attrs.get('data-theme')).toBe('light');
    expect(themeChoice(host)).toBe('light');
    setThemeChoice('system', host);
    expect(items.has('hubbub.theme')).toBe(false);
    expect(attrs.has('data-theme')).toBe(false);
  });

  it('still shows the choice when storage refuses to keep it', () => {
    const { host, attrs } = fakeHost({ brokenStorage: true });
    setThemeChoice('dark', host);
    expect(attrs.get('data-theme')).toBe('dark');
  });
});
