/**
 * Runs `fn` once and shares its promise; a failure is forgotten so the next call tries again
 * (a warehouse that was down at start is set up on the first write after it comes back).
 */
export function memoizeUntilFailure(fn: () => Promise<void>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    pending ??= fn().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/**
 * Runs tasks with the same key one after another (different keys run freely). Two jobs of this
 * process writing the same report would otherwise read back each other's written_at and retry.
 */
export function serialByKey() {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(task);
    tails.set(key, run);
    try {
      return await run;
    } finally {
      if (tails.get(key) === run) tails.delete(key);
    }
  };
}
