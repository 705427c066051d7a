/**
 * Moves a run through one or more stages and applies a patch, atomically (one round trip).
 *
 * KEYS: 1 run key, then keys to delete whatever the run's state (e.g. a kept report that is no
 *       longer needed); they are removed even when the run is missing or already final.
 * ARGV: 1 runId, 2 number of stages n (>= 1), 3 1 if the last stage is final else 0,
 *       4 active key prefix, 5 retention ttl s, 6 '1' to write only while the run is not final yet
 *       (not even over `failed`), then n stage/time (ISO) pairs in the order they were reached
 *       (each records `t:<stage>`; the last one is the run's stage), then field/value pairs to set.
 *
 * A run that reached a final stage stays there: a late update (a stalled job re-run by another
 * worker, a slow step racing the next queue) is ignored; only a replay reopens a run. The one
 * exception is `failed`, which a final outcome may still replace (a failed job retried by hand
 * from the dashboard that then delivers).
 *
 * ARGV 6 = '2' annotates a reported run instead (RunStore.annotateReported): n is 0, nothing but
 * the fields is written (the stage and its times stay), whatever the stage: a replay that reopened
 * the run must still learn that the row now holds a final revision (it writes the next one, final
 * too). The final re-check records its revision this way.
 *
 * Returns 1, 0 when the run does not exist (expired or never created), or 2 when the update was
 * ignored because the run is already final.
 */
export const SET_STAGE_LUA = `
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local current = redis.call('HGET', KEYS[1], 'stage')
if ARGV[6] == '2' then
  if #ARGV >= 8 then redis.call('HSET', KEYS[1], unpack(ARGV, 7)) end
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
  return 1
end
if current == 'delivered' or current == 'incomplete' or current == 'rejected' then return 2 end
if current == 'failed' and (ARGV[3] ~= '1' or ARGV[6] == '1') then return 2 end
local n = tonumber(ARGV[2])
local last = 7 + 2 * (n - 1)
local fields = {}
local enqueued = false
for i = 7, last, 2 do
  fields[#fields + 1] = 't:' .. ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if ARGV[i] ~= 'received' then enqueued = true end
end
fields[#fields + 1] = 'stage'
fields[#fields + 1] = ARGV[last]
if enqueued then
  fields[#fields + 1] = 'enqueued'
  fields[#fields + 1] = '1'
end
for i = last + 2, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
if ARGV[3] == '1' then
  local campaignId = redis.call('HGET', KEYS[1], 'campaignId')
  if campaignId then
    local activeKey = ARGV[4] .. campaignId
    if redis.call('GET', activeKey) == ARGV[1] then redis.call('DEL', activeKey) end
  end
end
return 1
`;

/**
 * Reopens a run for a replay: back to `received` (so its stages can move again), counts it and
 * records the replay's job id (`<ARGV 2><n>`, see replayJobId) as the run's live job.
 * KEYS: 1 run key. ARGV: 1 now (ISO), 2 the replay job id without its number.
 * Returns the new replay count, or -1 when the run does not exist.
 */
export const MARK_REPLAY_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'stage', 'received', 't:received', ARGV[1])
redis.call('HDEL', KEYS[1], 'orphaned')
local n = redis.call('HINCRBY', KEYS[1], 'replays', 1)
redis.call('HSET', KEYS[1], 'jobId', ARGV[2] .. n)
return n
`;

/**
 * Records a status a campaign was seen in that starts no report (`on`, `stopping`, ... or a finish
 * status that is not a trigger), so the next finish can be judged a transition, and remembers when
 * the campaign turned on.
 *
 * The campaign state hash: `status` and `version` last seen; `firstOn`, the first `on` of the
 * current run (kept across stops and resumes, cleared when a run completes: a completed campaign
 * turned on again starts from its first record); `lastOn`, the latest turn to `on` (a stop's
 * report never reaches past it); `completedAt`, the last completed finish.
 *
 * Times later than the horizon (the receipt time plus the clock skew allowed) are not trusted: such a
 * time is not remembered, and one remembered earlier (by a version that did not check) counts as
 * absent, so a bogus `on` dated 9999 cannot hide every real start after it.
 *
 * KEYS: 1 state hash, 2 (optional) a lease key. ARGV: 1 status, 2 ISO time, 3 version or '',
 * 4 ttl s, 5 '1' for a campaign copy (versions and transitions are checked) else '0', 6 horizon
 * (ISO), 7 (with KEYS 2) the fencing token KEYS 2 must hold.
 * Returns 'stale' (an older version than the last seen), 'same' (no transition), 'recorded', or
 * 'fenced' (KEYS 2 does not hold ARGV 7: nothing read or written).
 */
export const RECORD_STATUS_LUA = `
if KEYS[2] and redis.call('GET', KEYS[2]) ~= ARGV[7] then return 'fenced' end
local st = redis.call('HMGET', KEYS[1], 'status', 'version', 'firstOn', 'lastOn', 'completedAt')
local status, at, version, isCopy, horizon = ARGV[1], ARGV[2], ARGV[3], ARGV[5] == '1', ARGV[6]
local function trusted(t) if t and t <= horizon then return t end return nil end
local firstOn, lastOn, completedAt = trusted(st[3]), trusted(st[4]), trusted(st[5])
local timely = at <= horizon
if isCopy and version ~= '' and st[2] and tonumber(version) and tonumber(st[2]) and tonumber(version) < tonumber(st[2]) then
  return 'stale'
end
local fields = {'status', status}
if version ~= '' then table.insert(fields, 'version'); table.insert(fields, version) end
local result = 'recorded'
if st[1] == status then
  result = 'same'
elseif status == 'on' and timely then
  if (not firstOn) and ((not completedAt) or completedAt < at) then table.insert(fields, 'firstOn'); table.insert(fields, at) end
  if (not lastOn) or lastOn < at then table.insert(fields, 'lastOn'); table.insert(fields, at) end
end
if status == 'completed' and timely and ((not completedAt) or completedAt < at) then
  table.insert(fields, 'completedAt'); table.insert(fields, at)
  redis.call('HDEL', KEYS[1], 'firstOn')
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return result
`;
