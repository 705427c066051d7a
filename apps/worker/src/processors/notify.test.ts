import { describe, expect, it } from 'vitest';
import { notifyTargetHash } from '@wrapup/shared';
import { resolveNotifyTarget } from './notify';

describe('resolveNotifyTarget', () => {
  const a = 'https://hooks.slack.com/services/T1/B1/aaa';
  const b = 'https://hooks.slack.com/services/T2/B2/bbb';
  const target = (index: number, url: string) => ({ index, hash: notifyTargetHash(url) });

  it('hashes a URL to 16 hex digits of its sha256', () => {
    expect(notifyTargetHash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(notifyTargetHash(a)).not.toBe(notifyTargetHash(b));
  });

  it('takes the entry at the index when its hash matches', () => {
    expect(resolveNotifyTarget([a, b], target(1, b))).toBe(b);
  });

  it('finds the entry by hash when the list changed since the job was made', () => {
    expect(resolveNotifyTarget([b], target(1, b))).toBe(b);
    expect(resolveNotifyTarget([b, a], target(0, a))).toBe(a);
  });

  it('matches nothing that is not configured, whatever the index', () => {
    expect(resolveNotifyTarget([a], target(0, b))).toBeUndefined();
    expect(resolveNotifyTarget([], target(0, a))).toBeUndefined();
    expect(resolveNotifyTarget([a], { index: 0, hash: '0'.repeat(16) })).toBeUndefined();
  });
});
