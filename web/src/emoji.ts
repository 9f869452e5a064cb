/** The emoji bar: a small, friendly set with names for screen readers. */
export const EMOJI: Array<[string, string]> = [
  ['😀', 'grinning face'], ['😂', 'face with tears of joy'], ['🙂', 'slightly smiling face'], ['😉', 'winking face'],
  ['😍', 'heart eyes'], ['😘', 'blowing a kiss'], ['🤔', 'thinking face'], ['😎', 'sunglasses'],
  ['😅', 'sweat smile'], ['😭', 'loudly crying'], ['😮', 'open mouth'], ['😴', 'sleeping'],
  ['🙄', 'rolling eyes'], ['😇', 'halo'], ['🥳', 'party face'], ['😬', 'grimacing'],
  ['👍', 'thumbs up'], ['👎', 'thumbs down'], ['👏', 'clapping'], ['🙏', 'folded hands'],
  ['👋', 'waving hand'], ['💪', 'flexed biceps'], ['🤝', 'handshake'], ['✌️', 'victory hand'],
  ['❤️', 'red heart'], ['🔥', 'fire'], ['✨', 'sparkles'], ['🎉', 'party popper'],
  ['💯', 'hundred points'], ['✅', 'check mark'], ['❌', 'cross mark'], ['⭐', 'star'],
  ['☕', 'coffee'], ['🍕', 'pizza'], ['🍺', 'beer'], ['🎂', 'birthday cake'],
  ['🚀', 'rocket'], ['💡', 'light bulb'], ['📌', 'pushpin'], ['👀', 'eyes'],
];
