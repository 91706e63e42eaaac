import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../../../local/eventPattern';

const s3Event = {
  source: 'aws.s3',
  'detail-type': 'Object Created',
  detail: { bucket: { name: 'framebridge-local' }, object: { key: 'inbox/clip.json', size: 120 } },
};

describe('Local: EventBridge pattern matching', () => {
  it.each([
    ['exact source and detail-type', { source: ['aws.s3'], 'detail-type': ['Object Created'] }, true],
    ['another source', { source: ['framebridge'] }, false],
    ['nested exact value', { detail: { bucket: { name: ['framebridge-local'] } } }, true],
    ['nested value of another bucket', { detail: { bucket: { name: ['other'] } } }, false],
    ['prefix', { detail: { object: { key: [{ prefix: 'inbox/' }] } } }, true],
    ['prefix that does not match', { detail: { object: { key: [{ prefix: 'outbox/' }] } } }, false],
    ['suffix', { detail: { object: { key: [{ suffix: '.json' }] } } }, true],
    ['suffix that does not match', { detail: { object: { key: [{ suffix: '.mp4' }] } } }, false],
    ['exists true', { detail: { object: { size: [{ exists: true }] } } }, true],
    ['exists false on a present field', { detail: { object: { size: [{ exists: false }] } } }, false],
    ['anything-but', { source: [{ 'anything-but': ['framebridge'] }] }, true],
    ['anything-but excluding the value', { source: [{ 'anything-but': 'aws.s3' }] }, false],
    ['equals-ignore-case', { 'detail-type': [{ 'equals-ignore-case': 'object created' }] }, true],
    ['a missing field', { detail: { object: { versionId: ['x'] } } }, false],
  ])('%s', (_name, pattern, expected) => {
    expect(matchesEventPattern(pattern, s3Event)).toBe(expected);
  });

  it('matches an array field when any element matches', () => {
    expect(matchesEventPattern({ resources: ['b'] }, { resources: ['a', 'b'] })).toBe(true);
    expect(matchesEventPattern({ resources: ['c'] }, { resources: ['a', 'b'] })).toBe(false);
  });
});
