import { FINAL_STAGES } from '@wrapup/shared';
import { ADD_STANDARD_JOB, addScriptAsFunction } from './bullmq-add';
import { REPLAY_JOB_INFIX } from './job-ids';

const finalTable = `{${FINAL_STAGES.map((s) => `['${s}']=true`).join(',')}}`;

/** The first ARGV of the optional BullMQ add (after the intake's own arguments). */
export const INTAKE_ADD_ARGV = 25;

/** How many runs the recent-runs index (across campaigns) keeps: the newest ones. */
export const MAX_RECENT_RUNS = 10_000;

/**
 * Intake of one finish event, atomically.
 *
 * KEYS: 1 event-id key (scoped to the campaign), 2 campaign active key, 3 campaign run index (zset
 *       by occurredAt ms), 4 campaign state hash (see RECORD_STATUS_LUA; plus \`runs\`, see below),
 *       5 key of the run this event would create
 * ARGV: 1 eventId, 2 runId, 3 campaignId, 4 status, 5 occurredAt (ISO), 6 occurredAt ms, 7 now (ISO),
 *       8 dedupe ttl s, 9 retention ttl s, 10 same-finish tolerance ms, 11 run key prefix,
 *       12 analytics job key prefix, 13 durationSeconds or '', 14 contactCount or '', 15 shape,
 *       16 max event ids kept per run, 17 max runs kept per campaign, 18 campaign version or '',
 *       19 '1' when the event is a campaign copy (act on status transitions only) else '0',
 *       20 the earliest remembered start still used (ISO: occurredAt minus START_TTL_HOURS),
 *       21 horizon ms and 22 horizon ISO (now plus the clock skew allowed: later times are not
 *       trusted), 23 the oldest creation time of a run still joined (ISO: now minus the max join age),
 *       24 a fencing token or '' (see below)
 * Optionally, the analytics job to add when (and only when) the event starts a new run, as
 * `prepareAdd` built it: KEYS 6..${5 + ADD_STANDARD_JOB.keys} and ARGV ${INTAKE_ADD_ARGV}..${INTAKE_ADD_ARGV + 2} are BullMQ's own add script's keys
 * and arguments. The job's JSON data (ARGV ${INTAKE_ADD_ARGV + 1}) gets the remembered start time spliced in when the
 * event carries no duration. The run record and its job are then written atomically.
 *
 * The campaign's run index keeps its newest ARGV 17 runs. The campaign state's \`runs\` field is
 * never below the index's size (a new run adds 1, a trim sets it to the bound, entries dropped as
 * stale leave it above), so the index is trimmed only when \`runs\` passes the bound, and it is not
 * looked up at all when the campaign has no state: the index never outlives the state (both get
 * the retention TTL with every new run, the state with every other event too). A state without
 * \`runs\` (written before it was kept, or by RECORD_STATUS_LUA alone) has the index counted once
 * (ZCARD) by its next new run.
 *
 * The recent-runs index: the LAST key is always the sorted set of recent runs across campaigns
 * (RunKeys.recent) and the LAST ARGV the receipt time in ms (after the job's arguments when a job
 * is given). A new run is added to it scored by that time; it keeps the newest ${MAX_RECENT_RUNS}
 * and expires with the retention. Nothing else reads or writes it here.
 *
 * Fence: when ARGV 24 is not '', the last key before the recent-runs index is a lease key that must hold exactly that token
 * (the Notification API listener's leadership, see apps/worker/src/sources/lease.ts); otherwise
 * nothing is read or written and the script answers { 'fenced' }. Checked first, in the same
 * script, so a listener that lost its lease can never write after the new leader took over.
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
 * A run in flight (any stage that is not final) is joined only while it can still finish:
 * - it was created at most the max join age ago (ARGV 23); an older one is left alone (not joined,
 *   not changed) and the finish goes on as if it were not there;
 * - its live analytics job (the one recorded on the run: the first, `runId`, or the last replay's)
 *   still exists and is not in the failed set. Otherwise nothing will ever move the run: the job
 *   was cleaned in the dashboard, or it failed for good (stall limit, a Redis blip during the last
 *   attempt's failure write) without the run being told. Such an orphan is marked `failed`
 *   (outcome 'orphaned: its job is gone' or '... failed'), its in-flight slot is released and the
 *   finish goes on: usually to a new run. The one exception is the SAME finish (the same event
 *   again, or a finish with the orphan's own run id: same campaign, same occurredAt), which cannot
 *   start a run of its own (it would have the orphan's id): when the job is gone and nothing holds
 *   the run id in the queue, the orphan is reopened (`received`) and answered with needsEnqueue so
 *   the ingest adds its job again under the run id; when its job failed for good, it really failed,
 *   so it stays `failed` and the event is a duplicate (a replay is the remedy), as it would have
 *   been had the worker recorded the failure itself.
 * A bogus finish time (years ahead) never makes real finishes duplicates: the later-runs lookup
 * only considers runs finishing before the horizon, and remembered times past it are not used.
 *
 * Returns { outcome ('new', 'duplicate', 'ignored' or 'fenced'), runId, reason, needsEnqueue (0/1),
 *           startedAt or '', job id added or '' }.
 */
export const INTAKE_LUA = `
${addScriptAsFunction('bullmqAddStandardJob')}
local FINAL = ${finalTable}
local ADD_KEYS = ${ADD_STANDARD_JOB.keys}
local ADD_ARGV = ${INTAKE_ADD_ARGV}
local eventId, runId, status, occMs, now = ARGV[1], ARGV[2], ARGV[4], tonumber(ARGV[6]), ARGV[7]
-- TTLs, scores and ranks go to Redis as the strings they came in as (a Lua number would be
-- formatted back into a string by every call)
local dedupeTtl, retention, tolerance = ARGV[8], ARGV[9], tonumber(ARGV[10])
local runPrefix, jobPrefix, maxIds, maxRuns = ARGV[11], ARGV[12], tonumber(ARGV[16]), tonumber(ARGV[17])
local version, isCopy = ARGV[18], ARGV[19] == '1'
local horizon, joinAfter = ARGV[22], ARGV[23]

-- the recent-runs index is the very last key (and its score the last ARGV): set aside first
local recentKey, recentMs = KEYS[#KEYS], ARGV[#ARGV]
local KEEP_RECENT = '-${MAX_RECENT_RUNS + 1}'

-- the fence: the lease key (the last key before the index) must still hold the token
local nKeys = #KEYS - 1
if ARGV[24] ~= '' then
  if redis.call('GET', KEYS[nKeys]) ~= ARGV[24] then return {'fenced', '', '', 0, ''} end
  nKeys = nKeys - 1
end

-- a remembered time past the horizon (a bogus date) counts as not remembered
local function trusted(t) if t and t <= horizon then return t end return nil end

-- event id and in-flight run in one read, the campaign's state in another
local got = redis.call('MGET', KEYS[1], KEYS[2])
local seen, active = got[1], got[2]
local st = redis.call('HMGET', KEYS[4], 'status', 'version', 'firstOn', 'completedAt', 'runs')
local lastStatus, lastVersion, firstOn, completedAt = st[1], st[2], trusted(st[3]), trusted(st[4])
-- at least as many runs as the campaign's run index holds: 0 without a campaign state (the index
-- never outlives it), nil when unknown (a state written before the count was kept)
local indexed = 0
if lastStatus then indexed = tonumber(st[5]) end

-- the run's start: its first 'on' since the last completed run; failing that, the last completion
local startedAt = ''
if firstOn and firstOn < ARGV[5] and firstOn >= ARGV[20] then startedAt = firstOn
elseif completedAt and completedAt < ARGV[5] and completedAt >= ARGV[20] then startedAt = completedAt end

-- the analytics job that is to finish the run: recorded on it, else (runs from before the field)
-- the last replay's or the first
local function liveJobId(id)
  local f = redis.call('HMGET', runPrefix .. id, 'jobId', 'replays')
  if f[1] then return f[1] end
  local n = tonumber(f[2])
  if n and n > 0 then return id .. '${REPLAY_JOB_INFIX}' .. n end
  return id
end

-- nil while the run's job can still finish it; else 'gone' or 'failed', and the job id
local function jobTrouble(id)
  local jobId = liveJobId(id)
  if redis.call('EXISTS', jobPrefix .. jobId) == 0 then return 'gone', jobId end
  if redis.call('ZSCORE', jobPrefix .. 'failed', jobId) then return 'failed', jobId end
  return nil, jobId
end

local function markOrphan(id, trouble, jobId)
  local key = runPrefix .. id
  local outcome = trouble == 'gone' and 'orphaned: its job is gone' or 'orphaned: its job failed'
  local lastError = outcome
  if trouble == 'failed' then
    local reason = redis.call('HGET', jobPrefix .. jobId, 'failedReason')
    if reason then lastError = string.sub(outcome .. ' (' .. reason .. ')', 1, 2000) end
  end
  redis.call('HSET', key, 'stage', 'failed', 't:failed', now, 'outcome', outcome, 'lastError', lastError, 'orphaned', '1')
  redis.call('EXPIRE', key, retention)
  if redis.call('GET', KEYS[2]) == id then redis.call('DEL', KEYS[2]) end
end

-- May this finish join the in-flight run id? 'join'; 'reenqueue' (the same finish, reopened: its
-- job must be added again); 'old' (left alone); 'orphan' (now failed). See the header.
local function judge(id, sameFinish, checkAge)
  local key = runPrefix .. id
  if checkAge then
    local f = redis.call('HMGET', key, 'createdAt', 't:received')
    local created = f[1] or f[2]
    if created and created < joinAfter then return 'old' end
  end
  local trouble, jobId = jobTrouble(id)
  if not trouble then return 'join' end
  if sameFinish and trouble == 'gone' and redis.call('EXISTS', jobPrefix .. id) == 0 then
    redis.call('HSET', key, 'stage', 'received', 't:received', now, 'enqueued', '0', 'jobId', id,
      'lastError', 'orphaned: its job was gone; enqueued again')
    redis.call('EXPIRE', key, retention)
    return 'reenqueue'
  end
  markOrphan(id, trouble, jobId)
  return 'orphan'
end

local function remember(runs)
  local fields = {'status', status}
  if version ~= '' then table.insert(fields, 'version'); table.insert(fields, version) end
  if runs then table.insert(fields, 'runs'); table.insert(fields, runs) end
  if status == 'completed' and ARGV[5] <= horizon and ((not completedAt) or completedAt < ARGV[5]) then
    table.insert(fields, 'completedAt'); table.insert(fields, ARGV[5])
    -- (nothing to delete when no start was remembered, trusted or not)
    if st[3] then redis.call('HDEL', KEYS[4], 'firstOn') end
  end
  redis.call('HSET', KEYS[4], unpack(fields))
  redis.call('EXPIRE', KEYS[4], retention)
end

local function join(id, reason, needsEnqueue)
  local key = runPrefix .. id
  local raw = redis.call('HGET', key, 'eventIds')
  local ids = raw and cjson.decode(raw) or {}
  if #ids < maxIds then
    table.insert(ids, eventId)
    redis.call('HSET', key, 'eventIds', cjson.encode(ids))
  end
  redis.call('SET', KEYS[1], id, 'EX', dedupeTtl)
  remember()
  return {'duplicate', id, reason, needsEnqueue, startedAt}
end

-- 1. the very same event again (even long after its run finished)
if seen then
  local stage = redis.call('HGET', runPrefix .. seen, 'stage')
  local needs = 0
  if stage and not FINAL[stage] and judge(seen, true, false) == 'reenqueue' then needs = 1 end
  return {'duplicate', seen, 'same-event', needs, startedAt}
end

-- 2. a campaign copy older than the last one seen; or one that is no transition into this status,
--    which may still be the same finish as a known run (below) but never starts one
local noTransition = false
if isCopy then
  if version ~= '' and lastVersion and tonumber(version) and tonumber(lastVersion) and tonumber(version) < tonumber(lastVersion) then
    return {'ignored', '', 'stale-copy', 0, ''}
  end
  noTransition = lastStatus == status
end

-- 3. a run of this campaign still in flight: join it only for the same status, close in time,
--    while it can still finish
if active then
  local f = redis.call('HMGET', runPrefix .. active, 'stage', 'occurredAtMs', 'status')
  local stage, activeMs = f[1], tonumber(f[2])
  if stage and not FINAL[stage] and f[3] == status and activeMs and math.abs(occMs - activeMs) <= tolerance then
    local verdict = judge(active, active == runId, true)
    if verdict == 'join' then return join(active, 'joined-in-flight', 0) end
    if verdict == 'reenqueue' then return join(active, 'joined-in-flight', 1) end
  end
end

-- 4. this exact run (the same finish: never too old to join), or a run finishing at or after this
--    event (within the tolerance) and before the horizon; an orphan marked failed is no report
local own = redis.call('HGET', KEYS[5], 'stage')
if own then
  if FINAL[own] then return join(runId, 'already-reported', 0) end
  local verdict = judge(runId, true, false)
  if verdict == 'join' then return join(runId, 'joined-in-flight', 0) end
  if verdict == 'reenqueue' then return join(runId, 'joined-in-flight', 1) end
  return join(runId, 'already-reported', 0)
end
local later = {}
if indexed ~= 0 then
  later = redis.call('ZREVRANGEBYSCORE', KEYS[3], ARGV[21], occMs - tolerance, 'LIMIT', 0, 5)
end
for _, id in ipairs(later) do
  local f = redis.call('HMGET', runPrefix .. id, 'stage', 'status', 'occurredAtMs', 'orphaned')
  local stage = f[1]
  if stage then
    -- a different status close in time is a different finish (a stop, then the completion)
    if f[2] == status or tonumber(f[3]) > occMs + tolerance then
      if not FINAL[stage] then
        if judge(id, false, true) == 'join' then return join(id, 'joined-in-flight', 0) end
      elseif not (stage == 'failed' and f[4]) then
        return join(id, 'already-reported', 0)
      end
    end
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
if nKeys >= 5 + ADD_KEYS then
  local data = ARGV[ADD_ARGV + 1]
  if startedAt ~= '' and ARGV[13] == '' then
    data = string.sub(data, 1, -2) .. ',"startedAt":' .. cjson.encode(startedAt) .. '}'
  end
  local addKeys = {}
  for i = 1, ADD_KEYS do addKeys[i] = KEYS[5 + i] end
  added = bullmqAddStandardJob(addKeys, {ARGV[ADD_ARGV], data, ARGV[ADD_ARGV + 2]})
  if type(added) == 'number' then return redis.error_reply('bullmq refused the analytics job (code ' .. added .. ')') end
end
local fields = {
  'runId', runId, 'campaignId', ARGV[3], 'status', status, 'occurredAt', ARGV[5],
  'occurredAtMs', ARGV[6], 'stage', 'received', 't:received', now, 'createdAt', now,
  'eventIds', cjson.encode({eventId}), 'enqueued', '0', 'shape', ARGV[15], 'jobId', runId
}
if ARGV[13] ~= '' then table.insert(fields, 'durationSeconds'); table.insert(fields, ARGV[13]) end
if ARGV[14] ~= '' then table.insert(fields, 'contactCount'); table.insert(fields, ARGV[14]) end
if startedAt ~= '' then table.insert(fields, 'startedAt'); table.insert(fields, startedAt) end
redis.call('HSET', KEYS[5], unpack(fields))
redis.call('EXPIRE', KEYS[5], retention)
redis.call('ZADD', KEYS[3], ARGV[6], runId)
-- trimmed only when it may hold more than maxRuns; the count is never below the index's size
if indexed then
  indexed = indexed + 1
else
  indexed = redis.call('ZCARD', KEYS[3])
end
if indexed > maxRuns then
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(maxRuns + 1))
  indexed = maxRuns
end
redis.call('EXPIRE', KEYS[3], retention)
redis.call('SET', KEYS[2], runId, 'EX', retention)
redis.call('SET', KEYS[1], runId, 'EX', dedupeTtl)
redis.call('ZADD', recentKey, recentMs, runId)
redis.call('ZREMRANGEBYRANK', recentKey, '0', KEEP_RECENT)
redis.call('EXPIRE', recentKey, retention)
remember(indexed)
return {'new', runId, '', 0, startedAt, added}
`;
