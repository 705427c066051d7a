import { FINAL_STAGES } from '@wrapup/shared';
import { ADD_STANDARD_JOB, addScriptAsFunction } from './bullmq-add';

const finalTable = `{${FINAL_STAGES.map((s) => `['${s}']=true`).join(',')}}`;

/**
 * Intake of one finish event, atomically.
 *
 * KEYS: 1 event-id key, 2 campaign active key, 3 campaign run index (zset by occurredAt ms),
 *       4 campaign start key, 5 key of the run this event would create
 * ARGV: 1 eventId, 2 runId, 3 campaignId, 4 status, 5 occurredAt (ISO), 6 occurredAt ms, 7 now (ISO),
 *       8 dedupe ttl s, 9 retention ttl s, 10 same-finish tolerance ms, 11 run key prefix,
 *       12 analytics job key prefix, 13 durationSeconds or '', 14 contactCount or '', 15 shape,
 *       16 max event ids kept per run, 17 max runs kept per campaign
 * Optionally, the analytics job to add when (and only when) the event starts a new run, as
 * `prepareAdd` built it: KEYS 6..${5 + ADD_STANDARD_JOB.keys} and ARGV 18..20 are BullMQ's own add script's keys
 * and arguments. The job's JSON data (ARGV 19) gets the remembered start time spliced in when the
 * event carries no duration. The run record and its job are then written atomically.
 *
 * Returns { outcome, runId, reason, needsEnqueue (0/1), startedAt or '', job id added or '' }.
 */
export const INTAKE_LUA = `
${addScriptAsFunction('bullmqAddStandardJob')}
local FINAL = ${finalTable}
local ADD_KEYS = ${ADD_STANDARD_JOB.keys}
local eventId, runId, occMs, now = ARGV[1], ARGV[2], tonumber(ARGV[6]), ARGV[7]
local dedupeTtl, retention, tolerance = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local runPrefix, jobPrefix, maxIds, maxRuns = ARGV[11], ARGV[12], tonumber(ARGV[16]), tonumber(ARGV[17])

-- event id, in-flight run and remembered start in one read
local got = redis.call('MGET', KEYS[1], KEYS[2], KEYS[4])
local seen, active, startedAt = got[1], got[2], got[3]
if (not startedAt) or startedAt >= ARGV[5] then startedAt = '' end

local function needsEnqueue(id)
  local f = redis.call('HMGET', runPrefix .. id, 'stage', 'enqueued')
  if f[1] == 'received' and f[2] ~= '1' and redis.call('EXISTS', jobPrefix .. id) == 0 then return 1 end
  return 0
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
  return {'duplicate', id, reason, needsEnqueue(id), startedAt}
end

local function reasonFor(stage)
  if FINAL[stage] then return 'already-reported' end
  return 'joined-in-flight'
end

-- 1. the very same event again (even long after its run finished)
if seen then return {'duplicate', seen, 'same-event', needsEnqueue(seen), startedAt} end

-- 2. a run of this campaign still in flight: join it (unless it is already delivering an
--    earlier finish and this one is clearly later: that is a new run of a recycled campaign)
if active then
  local f = redis.call('HMGET', runPrefix .. active, 'stage', 'occurredAtMs')
  local stage, activeMs = f[1], tonumber(f[2])
  if stage and not FINAL[stage] then
    if stage ~= 'delivering' or (activeMs and occMs <= activeMs + tolerance) then
      return join(active, 'joined-in-flight')
    end
  end
end

-- 3. this exact run, or a run finishing at or after this event (within the tolerance)
local own = redis.call('HGET', KEYS[5], 'stage')
if own then return join(runId, reasonFor(own)) end
local later = redis.call('ZREVRANGEBYSCORE', KEYS[3], '+inf', occMs - tolerance, 'LIMIT', 0, 5)
for _, id in ipairs(later) do
  local stage = redis.call('HGET', runPrefix .. id, 'stage')
  if stage then return join(id, reasonFor(stage)) end
  redis.call('ZREM', KEYS[3], id)
end

-- 4. a new run (and its job, first: if BullMQ refuses it, nothing is written)
local added = ''
if #KEYS >= 5 + ADD_KEYS then
  local data = ARGV[19]
  if startedAt ~= '' and ARGV[13] == '' then
    data = string.sub(data, 1, -2) .. ',"startedAt":' .. cjson.encode(startedAt) .. '}'
  end
  local addKeys = {}
  for i = 1, ADD_KEYS do addKeys[i] = KEYS[5 + i] end
  added = bullmqAddStandardJob(addKeys, {ARGV[18], data, ARGV[20]})
  if type(added) == 'number' then return redis.error_reply('bullmq refused the analytics job (code ' .. added .. ')') end
end
local fields = {
  'runId', runId, 'campaignId', ARGV[3], 'status', ARGV[4], 'occurredAt', ARGV[5],
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
return {'new', runId, '', 0, startedAt, added}
`;
