import { Framebridge, FramebridgeError, sniffImageType, ValidationError } from 'framebridge/client';
import { describe, expect, it } from 'vitest';
import { errorView } from '../../../lambdas/core/apiViews';
import { fakeFetch, jsonAnswer, type SentRequest } from './fakeFetch';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]);
const WEBP = new TextEncoder().encode('RIFF\x24\x00\x00\x00WEBPVP8 ');

/** The API answers the upload ask with what it was asked; S3 answers the PUT with `put`. */
function uploadApi(put: (request: SentRequest) => Response = () => new Response(null, { status: 200 })) {
  const { fetch, requests } = fakeFetch((request) => {
    if (request.url.host === 's3.test') return put(request);
    const ask = JSON.parse(new TextDecoder().decode(request.body));
    if (!['image/png', 'image/jpeg', 'image/webp'].includes(ask.content_type)) {
      return jsonAnswer(
        400,
        errorView('invalid_request', 'Invalid request: content_type must be one of image/png, image/jpeg, image/webp', [
          { field: 'content_type', rule: 'must be one of image/png, image/jpeg, image/webp' },
        ]),
      );
    }
    return jsonAnswer(201, {
      upload_url: 'http://s3.test/bucket/uploads/t/01/frame?X-Amz-Signature=abc',
      method: 'PUT',
      headers: { 'content-type': ask.content_type, 'content-length': String(ask.content_length) },
      s3_uri: `s3://bucket/uploads/t/01/${ask.filename ?? 'frame'}`,
      expires_at: '2026-01-01T00:15:00.000Z',
    });
  });
  return { fb: new Framebridge({ baseUrl: 'http://api.test', apiKey: 'secret-key', fetch }), requests };
}

const askOf = (request: SentRequest | undefined) => JSON.parse(new TextDecoder().decode(request?.body));

describe('Client: uploads.create', () => {
  it('tells PNG, JPEG and WebP from their first bytes', () => {
    expect(sniffImageType(PNG)).toBe('image/png');
    expect(sniffImageType(JPEG)).toBe('image/jpeg');
    expect(sniffImageType(WEBP)).toBe('image/webp');
    expect(sniffImageType(new TextEncoder().encode('RIFF\x24\x00\x00\x00WAVEfmt '))).toBeUndefined();
  });

  it('asks for an upload of the bytes’ type and size, then PUTs exactly them with exactly the signed headers and no key', async () => {
    const { fb, requests } = uploadApi();
    const pooled = Buffer.concat([Buffer.from('junk'), Buffer.from(JPEG)]).subarray(4);

    const upload = await fb.uploads.create(pooled);

    expect(upload.s3_uri).toBe('s3://bucket/uploads/t/01/frame');
    expect(requests[0]).toMatchObject({ method: 'POST' });
    expect(requests[0]?.url.pathname).toBe('/v2/uploads');
    expect(askOf(requests[0])).toEqual({ content_type: 'image/jpeg', content_length: JPEG.length });
    const put = requests[1];
    expect(put?.method).toBe('PUT');
    expect(put?.url.href).toBe(upload.upload_url);
    expect(Object.fromEntries(put?.headers ?? [])).toEqual({ 'content-type': 'image/jpeg', 'content-length': '10' });
    expect(put?.body).toEqual(JPEG);
  });

  it('uploads a Blob or File, passing on a File name the API takes and an explicit type over the bytes', async () => {
    const { fb, requests } = uploadApi();

    await fb.uploads.create(new File([PNG], 'first.png'));
    await fb.uploads.create(new File([PNG], 'My photo.png', { type: 'image/png' }));
    await fb.uploads.create(new Blob([WEBP]), { contentType: 'image/png', filename: 'x.png' });

    expect(askOf(requests[0])).toEqual({
      content_type: 'image/png',
      content_length: PNG.length,
      filename: 'first.png',
    });
    expect(askOf(requests[2])).toEqual({ content_type: 'image/png', content_length: PNG.length });
    expect(askOf(requests[4])).toEqual({ content_type: 'image/png', content_length: WEBP.length, filename: 'x.png' });
    expect(requests[5]?.body).toEqual(WEBP);
  });

  it('leaves a type it cannot tell to the API, whose refusal names the field', async () => {
    const { fb, requests } = uploadApi();

    const error = await fb.uploads.create(new TextEncoder().encode('GIF89a')).catch((caught: unknown) => caught);

    expect(askOf(requests[0]).content_type).toBe('application/octet-stream');
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ details: [{ field: 'content_type' }] });
    expect(requests).toHaveLength(1);
  });

  it('throws upload_refused with S3’s code when the PUT is refused', async () => {
    const { fb } = uploadApi(
      () =>
        new Response(
          '<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>The signature does not match</Message><RequestId>1</RequestId></Error>',
          { status: 403 },
        ),
    );

    const error = await fb.uploads.create(PNG).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FramebridgeError);
    expect(error).toMatchObject({
      status: 403,
      code: 'upload_refused',
      message: 'The storage refused the upload (HTTP 403 SignatureDoesNotMatch): The signature does not match',
    });
  });
});
