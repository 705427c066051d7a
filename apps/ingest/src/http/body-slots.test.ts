import { describe, expect, it } from 'vitest';
import { createSlots } from './body-slots';

describe('createSlots', () => {
  it('hands out at most `limit` slots, and each release (once) frees one', () => {
    const slots = createSlots(2);
    const a = slots.tryAcquire();
    const b = slots.tryAcquire();
    expect(a && b).toBeTruthy();
    expect(slots.tryAcquire()).toBeUndefined();
    a?.();
    a?.();
    expect(slots.inUse).toBe(1);
    expect(slots.tryAcquire()).toBeDefined();
    expect(slots.tryAcquire()).toBeUndefined();
  });
});
