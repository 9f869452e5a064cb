import { ref, type Ref } from 'vue';

/**
 * Files dragged onto an element: `active` while a drag carrying files is
 * over it (for a visible drop zone), `onFiles` with what was dropped. Drags
 * of text or links are left alone. dragenter/dragleave fire for every child
 * crossed, so the element counts them: the zone goes only when the drag has
 * left the element itself.
 */
export function useFileDrop(
  onFiles: (files: File[]) => void,
  enabled: () => boolean,
): {
  active: Ref<boolean>;
  handlers: Record<'dragenter' | 'dragover' | 'dragleave' | 'drop', (ev: DragEvent) => void>;
} {
  const active = ref(false);
  let depth = 0;
  const carriesFiles = (ev: DragEvent): boolean => enabled() && !!ev.dataTransfer && [...ev.dataTransfer.types].includes('Files');
  return {
    active,
    handlers: {
      dragenter(ev) {
        if (!carriesFiles(ev)) return;
        ev.preventDefault();
        depth++;
        active.value = true;
      },
      dragover(ev) {
        if (!carriesFiles(ev)) return;
        // Without this the browser opens the file instead of dropping it here.
        ev.preventDefault();
        ev.dataTransfer!.dropEffect = 'copy';
        active.value = true;
      },
      dragleave(ev) {
        if (!carriesFiles(ev)) return;
        depth = Math.max(0, depth - 1);
        if (depth === 0) active.value = false;
      },
      drop(ev) {
        if (!carriesFiles(ev)) return;
        ev.preventDefault();
        depth = 0;
        active.value = false;
        onFiles([...(ev.dataTransfer?.files ?? [])]);
      },
    },
  };
}

/** Files on the clipboard (a pasted screenshot, copied files); none for plain text. */
export function pastedFiles(ev: ClipboardEvent): File[] {
  const data = ev.clipboardData;
  if (!data) return [];
  const files = [...data.files];
  if (files.length) return files;
  // Some browsers put a pasted image only among the items.
  return [...data.items].filter((i) => i.kind === 'file').flatMap((i) => i.getAsFile() ?? []);
}
