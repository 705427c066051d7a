/**
 * A counting gate: at most `limit` holders at once. `tryAcquire` never waits; it gives a release
 * function (idempotent) or undefined when every slot is taken.
 */
export interface Slots {
  readonly limit: number;
  readonly inUse: number;
  tryAcquire(): (() => void) | undefined;
}

export function createSlots(limit: number): Slots {
  let inUse = 0;
  return {
    limit,
    get inUse() {
      return inUse;
    },
    tryAcquire() {
      if (inUse >= limit) return undefined;
      inUse += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inUse -= 1;
      };
    },
  };
}
