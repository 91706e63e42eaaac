import { byId } from './dom';

/** What the upstream accepts (DESIGN.md): checked here so a wrong file is refused before any upload. */
const FRAME_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const MAX_FRAME_BYTES = 20 * 1024 * 1024;

export interface FramePicker {
  /** The chosen image, or undefined (with the reason shown beside the picker) when there is none or it is refused. */
  file(): File | undefined;
}

/**
 * One frame picker: a real `<input type=file>` (so keyboard and screen reader
 * use are the browser's own) inside a label that also takes dropped files.
 */
export function framePicker(name: 'first' | 'last'): FramePicker {
  const input = byId(`${name}-frame`);
  const zone = byId(`${name}-drop`);
  const preview = byId(`${name}-preview`);
  const note = byId(`${name}-note`);
  let previewUrl: string | undefined;

  const refusal = (file: File | undefined): string | undefined => {
    if (!file) return 'No image chosen yet.';
    if (!FRAME_TYPES.includes(file.type)) return `${file.name} is not a PNG, JPEG or WebP image.`;
    if (file.size > MAX_FRAME_BYTES) return `${file.name} is larger than 20 MB.`;
    return undefined;
  };

  const show = () => {
    const file = input.files?.[0];
    const refused = refusal(file);
    input.setCustomValidity(file && refused ? refused : '');
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = file && !refused ? URL.createObjectURL(file) : undefined;
    preview.hidden = !previewUrl;
    if (previewUrl) preview.src = previewUrl;
    else preview.removeAttribute('src');
    note.textContent = file && !refused ? `${file.name}, ${Math.ceil(file.size / 1024)} kB` : (refused ?? '');
  };

  input.addEventListener('change', show);
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const files = event.dataTransfer?.files;
    if (!files?.length) return;
    input.files = files;
    show();
  });

  return {
    file: () => {
      const file = input.files?.[0];
      return refusal(file) ? undefined : file;
    },
  };
}
