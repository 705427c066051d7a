import { FINAL_STAGES } from '@wrapup/shared';
import { ADD_STANDARD_JOB, addScriptAsFunction } from './bullmq-add';

const finalTable = `{${FINAL_STAGES.map((s) => `['${s}']=true`).join(',')}}`;

/**
 * Intake of one finish event, atomically.
 *
 * KEYS: 1 event-id key, 2 campaign active key, 3 campaign run index (zset by occurredAt ms),
 *       4 campaign state hash (see RECORD_STATUS_LUA), 5 key of the run this event would create
 * ARGV: 1 eventId, 2 runId, 3 campaignId, 4 status, 5 occurredAt (ISO), 6 occurredAt ms, 7 now (ISO),
 *       8 dedupe ttl s, 9 retention ttl s, 10 same-finish tolerance ms, 11 run key prefix,
 *       12 analytics job key prefix, 13 durationSeconds or '', 14 contactCount or '', 15 shape,
 *       16 max event ids kept per run, 17 max runs kept per campaign, 18 campaign version or '',
 *       19 '1' when the event is a campaign copy (act on status transitions only) else '0',
 *       20 the earliest remembered start still used (ISO: occurredAt minus START_TTL_HOURS)
 * Optionally, the analytics job to add when (and only when) the event starts a new run, as
 * `prepareAdd` built it: KEYS 6..${5 + ADD_STANDARD_JOB.keys} and ARGV 21..23 are BullMQ's own add script's keys
 * and arguments. The job's JSON data (ARGV 22) gets the remembered start time spliced in when the
 * event carries no duration. The run record and its job are then written atomically.
 *
 * A campaign copy (EventBridge, Notification API) is the whole campaign re-sent on every change,
 * so it starts a run only on a transition INTO its terminal status: a copy whose version is older
 * than the last one seen (a late redelivery) is answered `ignored`; so is one whose status equals
 * the last one seen (an edit of a finished campaign re-sends `complete`), unless it is the same
 * finish as a known run (another sender's copy), which it joins as a duplicate.
 *
 * A finish joins the campaign's in-flight run only when it has the same status and finished within
 * the tolerance of it; a `completed` while an earlier `stopped` run still waits gets its own run.
 *
 * Returns { outcome ('new', 'duplicate' or 'ignored'), runId, reason, needsEnqueue (0/1),
 *           startedAt or '', job id added or '' }.
 */
export const INTAKE_LUA = `
${addScriptAsFunction('bullmqAddStandardJob')}
local FINAL = ${finalTable}
local ADD_KEYS = ${ADD_STANDARD_JOB.keys}
local eventId, runId, status, occMs, now = ARGV[1], ARGV[2], ARGV[4], tonumber(ARGV[6]), ARGV[7]
local dedupeTtl, retention, tolerance = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local runPrefix, jobPrefix, maxIds, maxRuns = ARGV[11], ARGV[12], tonumber(ARGV[16]), tonumber(ARGV[17])
local version, isCopy = ARGV[18], ARGV[19] == '1'

-- event id and in-flight run in one read, the campaign's state in another
local got = redis.call('MGET', KEYS[1], KEYS[2])
local seen, active = got[1], got[2]
local st = redis.call('HMGET', KEYS[4], 'status', 'version', 'firstOn', 'completedAt')
local lastStatus, lastVersion, firstOn, completedAt = st[1], st[2], st[3], st[4]

-- the run's start: its first 'on' since the last completed run; failing that, the last completion
local startedAt = ''
if firstOn and firstOn < ARGV[5] and firstOn >= ARGV[20] then startedAt = firstOn
elseif completedAt and completedAt < ARGV[5] and completedAt >= ARGV[20] then startedAt = completedAt end

local function needsEnqueue(id)
  local f = redis.call('HMGET', runPrefix .. id, 'stage', 'enqueued')
  if f[1] == 'received' and f[2] ~= '1' and redis.call('EXISTS', jobPrefix .. id) == 0 then return 1 end
  return 0
end

local function remember()
  local fields = {'status', status}
  if version ~= '' then table.insert(fields, 'version'); table.insert(fields, version) end
  if status == 'completed' and ((not completedAt) or completedAt < ARGV[5]) then
    table.insert(fields, 'completedAt'); table.insert(fields, ARGV[5])
    redis.call('HDEL', KEYS[4], 'firstOn')
  end
  redis.call('HSET', KEYS[4], unpack(fields))
  redis.call('EXPIRE', KEYS[4], retention)
end

local function join(id, reason)
  local key = runPrefix .. id
  local raw = redis.call('HGET', key, 'eventIds')
  local ids = raw and cjson.decode(raw) or {}
  if #ids < maxIds then
    table.insert(ids, eventId)
    redis.call('HSET', key, 'eventIds', cjson.encode(ids))
  end
  redis.call('SET', KEYS[1], id, 'EX', dedupeTtl)
  remember()
  return {'duplicate', id, reason, needsEnqueue(id), startedAt}
end

local function reasonFor(stage)
  if FINAL[stage] then return 'already-reported' end
  return 'joined-in-flight'
end

-- 1. the very same event again (even long after its run finished)
if seen then return {'duplicate', seen, 'same-event', needsEnqueue(seen), startedAt} end

-- 2. a campaign copy older than the last one seen; or one that is no transition into this status,
--    which may still be the same finish as a known run (below) but never starts one
local noTransition = false
if isCopy then
  if version ~= '' and lastVersion and tonumber(version) and tonumber(lastVersion) and tonumber(version) < tonumber(lastVersion) then
    return {'ignored', '', 'stale-copy', 0, ''}
  end
  noTransition = lastStatus == status
end

-- 3. a run of this campaign still in flight: join it only for the same status, close in time
if active then
  local f = redis.call('HMGET', runPrefix .. active, 'stage', 'occurredAtMs', 'status')
  local stage, activeMs = f[1], tonumber(f[2])
  if stage and not FINAL[stage] and f[3] == status and activeMs and math.abs(occMs - activeMs) <= tolerance then
    return join(active, 'joined-in-flight')
  end
end

-- 4. this exact run, or a run finishing at or after this event (within the tolerance)
local own = redis.call('HGET', KEYS[5], 'stage')
if own then return join(runId, reasonFor(own)) end
local later = redis.call('ZREVRANGEBYSCORE', KEYS[3], '+inf', occMs - tolerance, 'LIMIT', 0, 5)
for _, id in ipairs(later) do
  local f = redis.call('HMGET', runPrefix .. id, 'stage', 'status', 'occurredAtMs')
  local stage = f[1]
  if stage then
    -- a different status close in time is a different finish (a stop, then the completion)
    if f[2] == status or tonumber(f[3]) > occMs + tolerance then return join(id, reasonFor(stage)) end
  else
    redis.call('ZREM', KEYS[3], id)
  end
end

if noTransition then
  if version ~= '' then redis.call('HSET', KEYS[4], 'version', version) end
  return {'ignored', '', 'no-transition', 0, ''}
end

-- 5. a new run (and its job, first: if BullMQ refuses it, nothing is written)
local added = ''
if #KEYS >= 5 + ADD_KEYS then
  local data = ARGV[22]
  if startedAt ~= '' and ARGV[13] == '' then
    data = string.sub(data, 1, -2) .. ',"startedAt":' .. cjson.encode(startedAt) .. '}'
  end
  local addKeys = {}
  for i = 1, ADD_KEYS do addKeys[i] = KEYS[5 + i] end
  added = bullmqAddStandardJob(addKeys, {ARGV[21], data, ARGV[23]})
  if type(added) == 'number' then return redis.error_reply('bullmq refused the analytics job (code ' .. added .. ')') end
end
local fields = {
  'runId', runId, 'campaignId', ARGV[3], 'status', status, 'occurredAt', ARGV[5],
  'occurredAtMs', ARGV[6], 'stage', 'received', 't:received', now, 'createdAt', now,
  'eventIds', cjson.encode({eventId}), 'enqueued', '0', 'shape', ARGV[15]
}
if ARGV[13] ~= '' then table.insert(fields, 'durationSeconds'); table.insert(fields, ARGV[13]) end
if ARGV[14] ~= '' then table.insert(fields, 'contactCount'); table.insert(fields, ARGV[14]) end
if startedAt ~= '' then table.insert(fields, 'startedAt'); table.insert(fields, startedAt) end
redis.call('HSET', KEYS[5], unpack(fields))
redis.call('EXPIRE', KEYS[5], retention)
redis.call('ZADD', KEYS[3], occMs, runId)
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(maxRuns + 1))
redis.call('EXPIRE', KEYS[3], retention)
redis.call('SET', KEYS[2], runId, 'EX', retention)
redis.call('SET', KEYS[1], runId, 'EX', dedupeTtl)
remember()
return {'new', runId, '', 0, startedAt, added}
`;
