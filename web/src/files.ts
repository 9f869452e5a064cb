/** How files look in a message: pure helpers for the attachment components (tested in web-uploads.test.ts). */

export type FileKind = 'image' | 'pdf' | 'video' | 'audio' | 'archive' | 'text' | 'file';

const ARCHIVES = new Set([
  'application/zip',
  'application/gzip',
  'application/x-tar',
  'application/x-7z-compressed',
  'application/x-rar-compressed',
  'application/vnd.rar',
  'application/x-bzip2',
  'application/x-xz',
]);

/** The card's icon, from the type the server sniffed from the bytes. */
export function fileKind(type: string): FileKind {
  const t = type.toLowerCase();
  if (t.startsWith('image/')) return 'image';
  if (t === 'application/pdf') return 'pdf';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/')) return 'audio';
  if (ARCHIVES.has(t)) return 'archive';
  if (t.startsWith('text/') || t === 'application/json') return 'text';
  return 'file';
}

const KIND_LABELS: Record<Exclude<FileKind, 'image' | 'file'>, string> = {
  pdf: 'PDF',
  video: 'Video',
  audio: 'Audio',
  archive: 'Archive',
  text: 'Text',
};

/** What the card calls the type: "PDF", "PNG image", "Archive", or the name's extension for the rest. */
export function typeLabel(type: string, name: string): string {
  const kind = fileKind(type);
  if (kind === 'image') return `${type.slice(6).split(/[+;]/)[0]!.toUpperCase()} image`;
  if (kind !== 'file') return KIND_LABELS[kind];
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1];
  return ext ? `${ext.toUpperCase()} file` : 'File';
}

/** The card's icon for each kind (Icon.vue names). */
export const KIND_ICONS = {
  image: 'image',
  pdf: 'file-text',
  video: 'film',
  audio: 'music',
  archive: 'archive',
  text: 'file-text',
  file: 'file',
} as const satisfies Record<FileKind, string>;

/** Shown for an image whose size the server did not give (it always does for images it re-encoded). */
const UNKNOWN_SIDE = 200;

/**
 * The box an image is shown in, reserved before it loads (no layout jump):
 * its own ratio, within `maxW`×`maxH`, never enlarged.
 */
export function imageBox(
  width: number | undefined,
  height: number | undefined,
  maxW: number,
  maxH: number,
): { width: number; height: number } {
  if (!width || !height || width <= 0 || height <= 0) return { width: UNKNOWN_SIDE, height: UNKNOWN_SIDE };
  const scale = Math.min(maxW / width, maxH / height, 1);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export function isImage(a: { type: string; width?: number; height?: number }): boolean {
  return fileKind(a.type) === 'image';
}
