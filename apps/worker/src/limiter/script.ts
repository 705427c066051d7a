import type { Redis, RedisValue, Result } from 'ioredis';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** ACQUIRE_SCRIPT, once defineLimiterScripts ran on this connection: 3 keys, then 5 arguments. */
    genesysLimiterAcquire(...keysAndArgs: RedisValue[]): Result<string, Context>;
    /** PAUSE_SCRIPT, once defineLimiterScripts ran on this connection: 1 key, then 1 argument. */
    genesysLimiterPause(...keysAndArgs: RedisValue[]): Result<string, Context>;
  }
}

/**
 * Lua run atomically by Redis for every acquire. Times come from Redis TIME (microseconds), so
 * processes with skewed clocks share one timeline.
 *
 * Two rules, both must pass:
 * - GCRA (smooth rate): a call conforms when now >= tat - tolerance; then tat = max(tat, now) + interval.
 *   Long-run rate is exactly 1/interval; tolerance = burst * interval lets burst extra calls through after idle.
 * - Sliding log (hard cap): at most `cap` grants whose time lies in (now - window, now].
 *   This keeps every window within maxPerSecond + burst even for non-integer rates, where GCRA alone
 *   could let one extra call into a window.
 * Plus the pause key written by pauseFor (a 429 somewhere): nothing is granted before it.
 *
 * KEYS: 1 tat, 2 log (sorted set), 3 pause-until
 * ARGV: 1 interval us, 2 tolerance us, 3 cap, 4 window us, 5 unique member suffix
 * Returns 0 when granted, else the wait in microseconds before trying again.
 */
export const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local window = tonumber(ARGV[4])

local wait = 0
local pause = tonumber(redis.call('GET', KEYS[3]) or '0')
if pause > now then wait = pause - now end

local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local allowAt = tat - tolerance
if allowAt - now > wait then wait = allowAt - now end

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now - window))
local count = redis.call('ZCARD', KEYS[2])
if count >= cap then
  local oldest = redis.call('ZRANGE', KEYS[2], count - cap, count - cap, 'WITHSCORES')
  local leaves = tonumber(oldest[2]) + window - now
  if leaves > wait then wait = leaves end
end

if wait > 0 then return string.format('%.0f', wait) end

if tat < now then tat = now end
tat = tat + interval
local ttlMs = math.ceil((tat - now + tolerance) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', ttlMs)
redis.call('ZADD', KEYS[2], string.format('%.0f', now), string.format('%.0f', now) .. ':' .. ARGV[5])
redis.call('PEXPIRE', KEYS[2], math.ceil(window / 1000) + 1000)
return '0'
`;

/**
 * Extends the shared pause to now + ARGV[1] ms (never shortens a longer pause already set).
 * KEYS: 1 pause-until. Returns the pause end in microseconds (Redis time).
 */
export const PAUSE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ms = tonumber(ARGV[1])
local untilUs = now + ms * 1000
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= untilUs then return string.format('%.0f', current) end
redis.call('SET', KEYS[1], string.format('%.0f', untilUs), 'PX', math.ceil(ms) + 1000)
return string.format('%.0f', untilUs)
`;

/**
 * Defines the limiter's scripts as commands on `redis`. ioredis runs them with EVALSHA and
 * falls back to EVAL when Redis answers NOSCRIPT.
 */
export function defineLimiterScripts(redis: Redis): void {
  redis.defineCommand('genesysLimiterAcquire', { numberOfKeys: 3, lua: ACQUIRE_SCRIPT });
  redis.defineCommand('genesysLimiterPause', { numberOfKeys: 1, lua: PAUSE_SCRIPT });
}
