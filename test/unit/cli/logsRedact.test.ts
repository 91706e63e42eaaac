import { describe, expect, it } from 'vitest';
import { redactData, redactText } from '../../../cli/logsRedact';

describe('Function: redactData', () => {
  it('redacts secret-looking members whatever their type, and keeps ids and keys that are not secrets', () => {
    // Arrange
    const text = JSON.stringify({
      jobId: 'j1',
      keyId: 'key-0123456789abcdef',
      idempotencyKey: 'order-42',
      apiKey: 'sk-live-1',
      headers: { 'x-api-key': 'sk-live-2', Authorization: 'Bearer abc' },
      webhookSecret: { value: 'whsec_x' },
      sessionToken: 'tok',
      empty: { token: '' },
    });

    // Act
    const { value, text: safe } = redactData(text, []);

    // Assert
    expect(value).toEqual({
      jobId: 'j1',
      keyId: 'key-0123456789abcdef',
      idempotencyKey: 'order-42',
      apiKey: '[redacted]',
      headers: { 'x-api-key': '[redacted]', Authorization: '[redacted]' },
      webhookSecret: '[redacted]',
      sessionToken: '[redacted]',
      empty: { token: '' },
    });
    expect(safe).toBe(JSON.stringify(value));
  });

  it('redacts signatures inside strings of any depth, and the given secrets verbatim', () => {
    // Arrange
    const text = JSON.stringify({
      output: { video_url: 'https://h.example/v.mp4?X-Amz-Signature=deadbeef&X-Amz-Expires=60' },
      message: 'rejected key local-key-1',
    });

    // Act
    const { value } = redactData(text, ['local-key-1']);

    // Assert
    expect(value).toEqual({
      output: { video_url: 'https://h.example/v.mp4?X-Amz-Signature=[redacted]&X-Amz-Expires=60' },
      message: 'rejected key [redacted]',
    });
  });

  it('redacts text that is not JSON as text', () => {
    expect(redactData('not json local-key-1', ['local-key-1'])).toEqual({ text: 'not json [redacted]' });
  });
});

describe('Function: redactText', () => {
  it.each([
    ['https://hooks.example/cb?token=abc123&id=7', 'https://hooks.example/cb?token=[redacted]&id=7'],
    ['https://x.example/a?sig=zzz&sv=2024', 'https://x.example/a?sig=[redacted]&sv=2024'],
    ['https://x.example/a?client_secret=s3&page=2', 'https://x.example/a?client_secret=[redacted]&page=2'],
    [
      'GET https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2Fx&X-Amz-Security-Token=IQo&X-Amz-Signature=f00 failed',
      'GET https://b.s3.amazonaws.com/k?X-Amz-Credential=[redacted]&X-Amz-Security-Token=[redacted]&X-Amz-Signature=[redacted] failed',
    ],
    ['https://x.example/a?page=2&sort=asc', 'https://x.example/a?page=2&sort=asc'],
  ])('%s', (text, expected) => {
    expect(redactText(text, [])).toBe(expected);
  });
});
