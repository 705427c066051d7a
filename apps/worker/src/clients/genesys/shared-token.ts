import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { GenesysLogger } from './http';

/*
 * The OAuth token shared by every worker process through Redis (issue 16).
 *
 * Why: each process used to fetch its own client-credentials token. Genesys issues them with the
 * OAuth client's token duration ("between 5mins and 48hrs ... If this field is omitted, a default
 * of 24 hours will be applied": SDK `OAuthClient.accessTokenValiditySeconds`; help: "a value
 * between 300 and 172800 seconds"), so a token is good for a long time and one per fleet is
 * enough. Whether /oauth/token itself is rate limited, and how, is unverified (only third-party
 * forum posts report 429s there); the token request takes a slot of the shared limiter like every
 * call, and single-flight across processes keeps it to one request however many processes start
 * or renew at once. See docs/platform-facts.md.
 *
 * How:
 * - One key per OAuth client: `<prefix>:genesys:token:<kid>`, `kid` an HKDF output of the client
 *   id + secret (reveals neither), so processes of another client or a rotated secret never fight
 *   over one key. Single-key commands only, so any Redis Cluster slot works (the runtime puts it
 *   under the limiter's prefix).
 * - The value is the token and its renewal time, encrypted with AES-256-GCM under a key derived
 *   (HKDF-SHA256) from the client id + secret, the key name as additional data: Redis, its dumps
 *   and anything that shows its keys never hold a usable bearer token, and a process without the
 *   secret cannot decrypt (nor forge) it. Stored with PX until the renewal time.
 * - Who fetches: whoever takes `<key>:lock` (SET NX PX, short, kept alive while its fetch waits
 *   for the limiter); the others poll the key, take the lock over when it lapses (its holder
 *   died), and fetch themselves if a live holder has not delivered within `waitMs`. A lock is
 *   never waited on for longer, and never makes a call fail.
 * - After a 401 the refused token's value is deleted only if the key still holds that value
 *   (compare-and-delete script): a newer token another process stored stays.
 * - Redis failing (down, not ready, or slower than `commandTimeoutMs`) never fails a call: the
 *   process falls back to its own token, as before, and says so once at warn until Redis answers
 *   again. The worker's connection queues commands while disconnected (maxRetriesPerRequest null);
 *   the store does not wait for that: it checks the connection is ready and bounds each command.
 */

export interface SharedTokenOptions {
  /** The process's command connection (a Cluster client is fine: single-key commands only). */
  redis: Redis;
  /** Key prefix (the runtime: the limiter's, `topology.keys.limiter`). */
  prefix: string;
  /** The fetch lock's life (default 5000). */
  lockMs?: number;
  /**
   * How long a process waits for a live lock holder's token before fetching its own (default
   * 30000: the holder keeps its lock alive while its fetch waits for the limiter; a dead holder's
   * lock lapses within lockMs and the next process takes it over long before this).
   */
  waitMs?: number;
  /** Poll interval while waiting (default 50). */
  pollMs?: number;
  /** A Redis command slower than this counts as a Redis failure (default 1000). */
  commandTimeoutMs?: number;
}

/** A token and when to stop using it (epoch ms; the renewal margin already taken off). */
export interface TokenEntry {
  token: string;
  renewAt: number;
}

/** A token as the store gave it: `stored` is its exact value in Redis, when it is there. */
export interface SharedEntry extends TokenEntry {
  stored?: string;
}

export interface SharedTokenStore {
  /**
   * The shared token (unless it is `refused`), or the one `fetch` gets: by this process when it
   * takes the lock, when the holder does not deliver in time, or when Redis fails.
   */
  obtain(fetch: () => Promise<TokenEntry>, refused?: string): Promise<SharedEntry>;
  /** Deletes the key if it still holds `stored` (after a 401). Never rejects. */
  discard(stored: string): Promise<void>;
}

const SALT = 'wrapup/genesys-token/v1';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const derive = (clientId: string, clientSecret: string, info: string, bytes: number) =>
  Buffer.from(
    // a client id never holds ':' (HTTP Basic), so `id:secret` is unambiguous
    hkdfSync('sha256', Buffer.from(`${clientId}:${clientSecret}`, 'utf8'), SALT, info, bytes),
  );

/** The Redis key of the shared token of this OAuth client under `prefix`. */
export function sharedTokenKey(prefix: string, clientId: string, clientSecret: string): string {
  return `${prefix}:genesys:token:${derive(clientId, clientSecret, 'redis key id', 8).toString('hex')}`;
}

/** Compare-and-extend: the lock lives ARGV[2] ms more only if it still holds ARGV[1]. */
const EXTEND_IF_EQUAL = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/** Compare-and-delete: the key goes only if it still holds ARGV[1]. */
const DELETE_IF_EQUAL = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const FAILED = Symbol('redis failed');

export function createSharedTokenStore(
  opts: SharedTokenOptions & {
    clientId: string;
    clientSecret: string;
    logger: GenesysLogger;
    now: () => number;
  },
): SharedTokenStore {
  const { redis, logger: log, now } = opts;
  const lockMs = opts.lockMs ?? 5_000;
  const waitMs = opts.waitMs ?? 30_000;
  const pollMs = opts.pollMs ?? 50;
  const commandTimeoutMs = opts.commandTimeoutMs ?? 1_000;
  const key = sharedTokenKey(opts.prefix, opts.clientId, opts.clientSecret);
  const lockKey = `${key}:lock`;
  const aesKey = derive(opts.clientId, opts.clientSecret, 'aes-256-gcm token key', 32);
  const aad = Buffer.from(key, 'utf8');

  function seal(entry: TokenEntry): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
    cipher.setAAD(aad);
    const body = Buffer.concat([
      cipher.update(JSON.stringify({ t: entry.token, r: entry.renewAt }), 'utf8'),
      cipher.final(),
    ]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The entry, or undefined when the value is not ours (another secret, tampered, malformed). */
  function open(stored: string): TokenEntry | undefined {
    const [version, data] = stored.split('.');
    if (version !== VERSION || data === undefined) return undefined;
    const raw = Buffer.from(data, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', aesKey, raw.subarray(0, IV_BYTES));
      decipher.setAAD(aad);
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
      const parsed = JSON.parse(text) as { t?: unknown; r?: unknown };
      if (typeof parsed.t !== 'string' || typeof parsed.r !== 'number') return undefined;
      return { token: parsed.t, renewAt: parsed.r };
    } catch {
      return undefined;
    }
  }

  // one warn per outage; an info line when Redis answers again
  let degraded = false;
  async function command<T>(what: string, run: () => Promise<T>): Promise<T | typeof FAILED> {
    let timer: NodeJS.Timeout | undefined;
    try {
      if (redis.status !== 'ready') throw new Error(`redis connection ${redis.status}`);
      const result = await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${commandTimeoutMs} ms`)),
            commandTimeoutMs,
          );
        }),
      ]);
      if (degraded) {
        degraded = false;
        log.info({ what }, 'shared genesys token: redis answers again');
      }
      return result;
    } catch (err) {
      if (!degraded) {
        degraded = true;
        log.warn(
          { what, err: err instanceof Error ? err.message : String(err) },
          'shared genesys token: redis failed; this process uses a token of its own until it is back',
        );
      }
      return FAILED;
    } finally {
      clearTimeout(timer);
    }
  }

  const discard = async (stored: string) => {
    await command('discard', () => redis.eval(DELETE_IF_EQUAL, 1, key, stored));
  };

  /** The stored entry when usable; undefined when absent, not ours, due or refused; FAILED. */
  async function read(
    refused: string | undefined,
  ): Promise<SharedEntry | undefined | typeof FAILED> {
    const stored = await command('get', () => redis.get(key));
    if (stored === FAILED || stored === null) return stored === FAILED ? FAILED : undefined;
    const entry = open(stored);
    if (entry === undefined) {
      log.debug({}, 'shared genesys token: stored value not readable with this secret; ignored');
      return undefined;
    }
    if (entry.token === refused) {
      await discard(stored);
      return undefined;
    }
    if (now() >= entry.renewAt) return undefined;
    return { ...entry, stored };
  }

  /** Stores a fetched entry (best effort) and says under which value. */
  async function write(entry: TokenEntry): Promise<SharedEntry> {
    const ttlMs = Math.floor(entry.renewAt - now());
    if (ttlMs <= 0) return entry;
    const stored = seal(entry);
    const ok = await command('set', () => redis.set(key, stored, 'PX', ttlMs));
    return ok === FAILED ? entry : { ...entry, stored };
  }

  return {
    discard,
    async obtain(fetch, refused) {
      const deadline = now() + waitMs;
      const owner = randomBytes(9).toString('base64url');
      for (;;) {
        const found = await read(refused);
        if (found === FAILED) return fetch();
        if (found !== undefined) return found;

        const locked = await command('lock', () => redis.set(lockKey, owner, 'PX', lockMs, 'NX'));
        if (locked === FAILED) return fetch();
        if (locked === 'OK') {
          // kept alive while the fetch waits (a limiter pause can outlast the lock): the others
          // go on waiting for this token instead of fetching their own; a holder that dies lets
          // it lapse within lockMs and the next one takes over
          const keepAlive = setInterval(
            () =>
              void command('extend', () =>
                redis.eval(EXTEND_IF_EQUAL, 1, lockKey, owner, String(lockMs)),
              ),
            Math.max(10, Math.floor(lockMs / 3)),
          );
          try {
            // a holder may have stored and released between the read and the lock
            const again = await read(refused);
            if (again !== undefined && again !== FAILED) return again;
            return await write(await fetch());
          } finally {
            clearInterval(keepAlive);
            await command('unlock', () => redis.eval(DELETE_IF_EQUAL, 1, lockKey, owner));
          }
        }
        if (now() >= deadline) {
          log.info(
            { waitedMs: waitMs },
            'shared genesys token: the process fetching it did not deliver in time; fetching one here',
          );
          return write(await fetch());
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
  };
}
