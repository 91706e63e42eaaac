import { FramebridgeError } from './errors';
import type { HttpClient } from './http';
import { isUploadView, type UploadView } from './views';

/** What can be uploaded: a browser File or any Blob, a Node Buffer, a Uint8Array or an ArrayBuffer. */
export type UploadInput = Blob | ArrayBuffer | ArrayBufferView;

export interface UploadOptions {
  /** `image/png`, `image/jpeg` or `image/webp`. Default: read from the first bytes, else the Blob's own type. */
  contentType?: string;
  /** The object's name under the upload prefix. Default: a File's name when the API accepts it, else `frame.<ext>`. */
  filename?: string;
  signal?: AbortSignal;
}

/** The client's code for a PUT that S3 refused (a changed file, an expired URL). */
export const UPLOAD_REFUSED = 'upload_refused';

/** The signatures of the frame formats the API takes; the first 12 bytes tell them apart. */
export function sniffImageType(head: Uint8Array): string | undefined {
  const starts = (bytes: readonly number[], at = 0) => bytes.every((byte, index) => head[at + index] === byte);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  // RIFF, four bytes of size, WEBP
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return undefined;
}

/**
 * The names the API takes as `filename`. A File's own name is only passed on
 * when it fits, so "My photo.png" uploads (as frame.png) instead of being refused.
 */
const isAcceptedFilename = (name: string): boolean =>
  name.length <= 128 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && !name.includes('..');

const isBlob = (input: UploadInput | Uint8Array): input is Blob => typeof Blob !== 'undefined' && input instanceof Blob;

/**
 * The bytes as an ArrayBuffer-backed array, which every fetch takes as a body.
 * A view (a Node Buffer may sit in a shared pool) is copied: a frame is at most 20 MB.
 */
function bytesOf(input: ArrayBuffer | ArrayBufferView): Uint8Array<ArrayBuffer> {
  if (!ArrayBuffer.isView(input)) return new Uint8Array(input);
  const copy = new Uint8Array(input.byteLength);
  copy.set(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
  return copy;
}

/** `fb.uploads`: frames into the tenant's own uploads, for `first_frame_url` / `last_frame_url`. */
export class Uploads {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * POST /v2/uploads for the image's type and exact size, then a PUT of the
   * bytes to the presigned URL with exactly the headers it was signed with.
   * Answers the upload, whose `s3_uri` is the frame's URL for a submit.
   */
  async create(input: UploadInput, options: UploadOptions = {}): Promise<UploadView> {
    const blob = isBlob(input) ? input : undefined;
    const body = isBlob(input) ? input : bytesOf(input);
    const head = isBlob(body) ? new Uint8Array(await body.slice(0, 12).arrayBuffer()) : body;
    // Anything unrecognised is sent as it is, so the API's own answer names the field and the rule.
    const contentType = options.contentType ?? sniffImageType(head) ?? (blob?.type || 'application/octet-stream');
    const ownName = blob && 'name' in blob && typeof blob.name === 'string' ? blob.name : undefined;
    const filename = options.filename ?? (ownName && isAcceptedFilename(ownName) ? ownName : undefined);
    const upload = await this.#http.json(
      'POST',
      '/v2/uploads',
      {
        expect: [201],
        json: {
          content_type: contentType,
          content_length: isBlob(body) ? body.size : body.byteLength,
          ...(filename ? { filename } : {}),
        },
        signal: options.signal,
      },
      isUploadView,
    );
    const put = await this.#http.plainFetch(upload.upload_url, {
      method: upload.method,
      headers: upload.headers,
      body,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!put.ok) throw await refusal(put);
    await put.body?.cancel().catch(() => undefined);
    return upload;
  }
}

/** S3's XML error as a FramebridgeError: its Code and Message, without the request ids. */
async function refusal(put: Response): Promise<FramebridgeError> {
  const xml = await put.text().catch(() => '');
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const s3Code = tag('Code');
  return new FramebridgeError({
    status: put.status,
    code: UPLOAD_REFUSED,
    message: `The storage refused the upload (HTTP ${put.status}${s3Code ? ` ${s3Code}` : ''})${tag('Message') ? `: ${tag('Message')}` : ''}`,
  });
}
