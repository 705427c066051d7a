import { afterEach } from 'vitest';

export interface Closable {
  close(): unknown;
}

/** Hands a resource over to be closed after the test, and returns it. */
export type Closing = <T extends Closable>(resource: T) => T;

/**
 * Closes, after each test, what the test handed to the returned function (a pipeline, a
 * simulator, a receiver), the last opened first:
 * `const closing = closeAfterEach(); … const sim = closing(await startSimulator());`.
 */
export function closeAfterEach(): Closing {
  const open: Closable[] = [];
  afterEach(async () => {
    for (let r = open.pop(); r; r = open.pop()) await r.close();
  });
  return (resource) => {
    open.push(resource);
    return resource;
  };
}
