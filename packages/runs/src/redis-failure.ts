/** Thrown by a Redis call the service makes; it becomes the `unavailable` outcome (503). */
export class RedisUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super(`redis unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'RedisUnavailable';
  }
}

/**
 * Runs a Redis call, turning a failure of Redis itself into RedisUnavailable (503, the sender
 * retries). Anything else thrown on the way (a check of our own refusing its input, a bug) is
 * rethrown as it is: a 503 would make the sender retry forever and log an outage that is none.
 */
export async function viaRedis<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw isRedisFailure(err) ? new RedisUnavailable(err) : err;
  }
}

/**
 * ioredis's own connection-state errors: plain Errors, told apart by their messages
 * (ioredis 5: Redis.js, cluster/index.js, redis/event_handler.js).
 */
const CONNECTION_MESSAGE =
  /^(Connection is closed|Stream isn't writeable|Command timed out|Socket timeout|Ready check failed|connect ETIMEDOUT|Cluster isn't ready|Cluster is disconnect|None of startup nodes is available|Too many Cluster redirections|Node is disconnected)/;

/** A Lua error raised by our own script (its input or its code), not by Redis being away. */
const SCRIPT_ERROR = /\buser_script\b|^ERR Error running script/;

/**
 * Whether `err` means Redis could not serve the call: the redis-errors family ioredis rejects with
 * (a reply error such as LOADING, READONLY, OOM, CLUSTERDOWN; AbortError; MaxRetriesPerRequestError;
 * ClusterAllFailedError), except an error raised by one of our Lua scripts; ioredis's
 * connection-state errors; and socket errors (ECONNREFUSED, ECONNRESET, ...).
 */
export function isRedisFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (isRedisErrorClass(err)) return !SCRIPT_ERROR.test(err.message);
  if (CONNECTION_MESSAGE.test(err.message)) return true;
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  return typeof code === 'string' && typeof syscall === 'string';
}

/** Whether `err` is an instance of redis-errors' RedisError (ioredis does not export that class). */
function isRedisErrorClass(err: Error): boolean {
  for (
    let proto: unknown = Object.getPrototypeOf(err);
    proto && proto !== Error.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    if ((proto as { constructor?: { name?: unknown } }).constructor?.name === 'RedisError')
      return true;
  }
  return false;
}
