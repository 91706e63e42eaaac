import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambdas/core/errors';
import { assertPublicUrls, type Resolve } from '../../../lambdas/jobs/publicUrls';

const frames = { first_frame_url: 'https://cdn.example.com/a.png', last_frame_url: 's3://bucket/uploads/b.png' };
const dns: Record<string, string[]> = {
  'cdn.example.com': ['93.184.215.14'],
  'hooks.example.com': ['2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'rebind.example.com': ['10.0.0.7'],
  'metadata.example.com': ['169.254.169.254'],
  'mixed.example.com': ['93.184.215.14', '127.0.0.1'],
  'v6local.example.com': ['::1'],
};
const resolve: Resolve = async (host) => {
  const addresses = dns[host];
  if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses;
};

async function issuesOf(request: Parameters<typeof assertPublicUrls>[0], allowPrivateCallbacks = false) {
  try {
    await assertPublicUrls(request, { allowPrivateCallbacks, resolve });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues.map((issue) => `${issue.field}: ${issue.rule}`);
  }
}

describe('Shared: assertPublicUrls (no URL we hand on may reach a non-public address)', () => {
  it('accepts public https frames, s3 frames and a public https callback', async () => {
    expect(await issuesOf({ ...frames, callback_url: 'https://hooks.example.com/fb' })).toEqual([]);
  });

  it('lets a name that does not resolve through (the upstream fails on it later)', async () => {
    expect(await issuesOf({ ...frames, first_frame_url: 'https://nowhere.invalid/a.png' })).toEqual([]);
  });

  it.each([
    ['https://127.0.0.1/a.png', /non-public/],
    ['https://10.1.2.3/a.png', /non-public/],
    ['https://172.16.0.1/a.png', /non-public/],
    ['https://192.168.1.1/a.png', /non-public/],
    ['https://169.254.169.254/latest/meta-data/', /non-public/],
    ['https://100.64.0.1/a.png', /non-public/],
    ['https://0.0.0.0/a.png', /non-public/],
    ['https://[::1]/a.png', /non-public/],
    ['https://[fe80::1]/a.png', /non-public/],
    ['https://[fd00::1]/a.png', /non-public/],
    ['https://[::ffff:127.0.0.1]/a.png', /non-public/],
    ['https://2130706433/a.png', /non-public/],
    ['https://0x7f000001/a.png', /non-public/],
    ['https://localhost/a.png', /local or metadata/],
    ['https://LOCALHOST./a.png', /local or metadata/],
    ['https://app.localhost/a.png', /local or metadata/],
    ['https://metadata.google.internal/a.png', /local or metadata/],
    ['https://rebind.example.com/a.png', /resolves to a non-public/],
    ['https://metadata.example.com/a.png', /resolves to a non-public/],
    ['https://mixed.example.com/a.png', /resolves to a non-public/],
    ['https://v6local.example.com/a.png', /resolves to a non-public/],
  ])('refuses the frame %s', async (url, rule) => {
    const issues = await issuesOf({ ...frames, first_frame_url: url });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^first_frame_url: /);
    expect(issues[0]).toMatch(rule);
  });

  it.each([
    ['http://hooks.example.com/fb', /https/],
    ['https://user:pass@hooks.example.com/fb', /credentials/],
    ['https://10.0.0.1/fb', /non-public/],
    ['https://rebind.example.com/fb', /resolves to a non-public/],
    ['https://localhost:8443/fb', /non-public|local/],
  ])('refuses the callback %s', async (url, rule) => {
    const issues = await issuesOf({ ...frames, callback_url: url });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^callback_url: /);
    expect(issues[0]).toMatch(rule);
  });

  it('allows private and plain-http callbacks with the local development switch, never private frames', async () => {
    expect(await issuesOf({ ...frames, callback_url: 'http://127.0.0.1:9000/hook' }, true)).toEqual([]);
    const issues = await issuesOf({ ...frames, last_frame_url: 'https://127.0.0.1/b.png' }, true);
    expect(issues).toEqual([expect.stringMatching(/^last_frame_url: /)]);
  });

  it('names every bad field at once', async () => {
    const issues = await issuesOf({
      first_frame_url: 'https://127.0.0.1/a.png',
      last_frame_url: 'https://localhost/b.png',
      callback_url: 'http://hooks.example.com/fb',
    });
    expect(issues.map((issue) => issue.split(':')[0])).toEqual(['first_frame_url', 'last_frame_url', 'callback_url']);
  });
});
