import { sameSecret, secretDigest } from './constant-time';

/** The key a request carries: `Authorization: Bearer KEY` or `x-api-key: KEY`. */
export function presentedApiKey(headers: Headers): string | undefined {
  const direct = headers.get('x-api-key')?.trim();
  if (direct) return direct;
  const auth = headers.get('authorization')?.trim();
  const match = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  return match?.[1];
}

/** Checks a presented key against every configured key (rotation), in constant time. */
export function createApiKeyCheck(keys: readonly string[]): (candidate: string) => boolean {
  const digests = keys.map(secretDigest);
  return (candidate) => {
    let ok = false;
    for (const d of digests) ok = sameSecret(candidate, d) || ok;
    return ok;
  };
}
