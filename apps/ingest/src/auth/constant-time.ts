import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string | Uint8Array) => createHash('sha256').update(value).digest();

/**
 * Compares two secrets in constant time whatever their lengths: both sides are hashed to 32
 * bytes first, so neither the content nor the length leaks through timing.
 */
export const sameSecret = (candidate: string, expectedDigest: Buffer): boolean =>
  timingSafeEqual(digest(candidate), expectedDigest);

/** Precomputes the digest a later sameSecret compares against. */
export const secretDigest = (secret: string): Buffer => digest(secret);

/** Constant-time equality of two byte strings (false at once when lengths differ). */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && timingSafeEqual(a, b);
