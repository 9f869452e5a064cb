import { AppError } from './errors.js';

/** Longest reaction, UTF-16 units: a family or a flag with tags fits; a paragraph of emoji does not. */
export const MAX_EMOJI_UNITS = 32;

const EMOJI_PARTS = /^[\p{Extended_Pictographic}\p{Emoji_Component}]+$/u;
const PICTURE = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * A reaction is one emoji: one grapheme made only of emoji code points
 * (pictographs, skin tones, joiners, variation selectors, keycaps, flags),
 * with at least one picture among them — a digit or `#` alone is not one.
 * Returned as given: "❤" and "❤️" are different reactions, as they are on the
 * platforms that draw them differently.
 */
export function checkEmoji(raw: string): string {
  if (raw.length === 0 || raw.length > MAX_EMOJI_UNITS || !EMOJI_PARTS.test(raw) || !PICTURE.test(raw)) throw new AppError('INVALID_EMOJI');
  let n = 0;
  for (const _ of graphemes.segment(raw)) if (++n > 1) throw new AppError('INVALID_EMOJI');
  return raw;
}
