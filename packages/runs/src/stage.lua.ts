/**
 * Moves a run to a stage and applies a patch, atomically.
 *
 * KEYS: 1 run key
 * ARGV: 1 runId, 2 stage, 3 now (ISO), 4 1 if the stage is final else 0, 5 active key prefix,
 *       6 retention ttl s, then field/value pairs to set.
 *
 * A run that reached a final stage stays there: a late update (a stalled job re-run by another
 * worker, a slow step racing the next queue) is ignored; only a replay reopens a run. The one
 * exception is `failed`, which a final outcome may still replace (a failed job retried by hand
 * from the dashboard that then delivers).
 *
 * Returns 1, 0 when the run does not exist (expired or never created), or 2 when the update was
 * ignored because the run is already final.
 */
export const SET_STAGE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local stage = ARGV[2]
local current = redis.call('HGET', KEYS[1], 'stage')
if current == 'delivered' or current == 'incomplete' or current == 'rejected' then return 2 end
if current == 'failed' and ARGV[4] ~= '1' then return 2 end
redis.call('HSET', KEYS[1], 'stage', stage, 't:' .. stage, ARGV[3])
if stage ~= 'received' then redis.call('HSET', KEYS[1], 'enqueued', '1') end
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[6]))
if ARGV[4] == '1' then
  local campaignId = redis.call('HGET', KEYS[1], 'campaignId')
  if campaignId then
    local activeKey = ARGV[5] .. campaignId
    if redis.call('GET', activeKey) == ARGV[1] then redis.call('DEL', activeKey) end
  end
end
return 1
`;

/**
 * Reopens a run for a replay: back to `received` (so its stages can move again) and counts it.
 * KEYS: 1 run key. ARGV: 1 now (ISO). Returns the new replay count, or -1 when the run does not exist.
 */
export const MARK_REPLAY_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'stage', 'received', 't:received', ARGV[1])
return redis.call('HINCRBY', KEYS[1], 'replays', 1)
`;

/** KEYS: 1 run key. Sets enqueued=1 if the run exists. */
export const CONFIRM_ENQUEUED_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'enqueued', '1')
return 1
`;

/** KEYS: 1 start key. ARGV: 1 ISO time, 2 ttl s. Keeps the latest start (a late redelivery of an older `on` loses). */
export const REMEMBER_START_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur and cur >= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return 1
`;
