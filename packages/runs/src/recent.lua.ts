/**
 * One page of runs, newest first, in one round trip (RunStore.listRecent).
 *
 * KEYS: 1 the index to read: the recent-runs index (RunKeys.recent, scored by creation time) or
 *       one campaign's run index (RunKeys.campaign, scored by finish time).
 * ARGV: 1 run key prefix, 2 offset (matching runs to skip), 3 limit, 4 stage or '' (any),
 *       5 campaign id or '' (any), 6 the most index entries a filtered page looks at.
 *
 * Without a filter the page is the index's slice at `offset` (ZREVRANGE, one more than `limit` to
 * know whether there is more). With a filter, the index is walked from its newest entry in
 * chunks, each run's stage and campaign read (HMGET) and compared, until `offset + limit + 1`
 * runs matched or ARGV 6 entries were looked at. Entries whose run hash has expired are skipped
 * (without a filter too; the index loses them as it is trimmed).
 *
 * Returns { more (0/1), total (the index's size, entries whose runs expired included), looked
 *           (entries looked at), then each run of the page as its id and its HGETALL array }.
 */
export const LIST_RUNS_LUA = `
local runPrefix, offset, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local stage, campaign, maxLook = ARGV[4], ARGV[5], tonumber(ARGV[6])
local total = redis.call('ZCARD', KEYS[1])
local out = {0, total, 0}
local function push(id, hash)
  out[#out + 1] = id
  out[#out + 1] = hash
end

if stage == '' and campaign == '' then
  local ids = redis.call('ZREVRANGE', KEYS[1], offset, offset + limit)
  if #ids > limit then out[1] = 1; ids[#ids] = nil end
  out[3] = #ids
  for _, id in ipairs(ids) do
    local hash = redis.call('HGETALL', runPrefix .. id)
    if #hash > 0 then push(id, hash) end
  end
  return out
end

local CHUNK = 200
local matched, looked, pos = 0, 0, 0
while looked < maxLook do
  local n = math.min(CHUNK, maxLook - looked)
  local ids = redis.call('ZREVRANGE', KEYS[1], pos, pos + n - 1)
  if #ids == 0 then break end
  pos = pos + #ids
  for _, id in ipairs(ids) do
    looked = looked + 1
    local f = redis.call('HMGET', runPrefix .. id, 'stage', 'campaignId')
    if f[1] and (stage == '' or f[1] == stage) and (campaign == '' or f[2] == campaign) then
      matched = matched + 1
      if matched > offset + limit then
        out[1] = 1
        out[3] = looked
        return out
      end
      if matched > offset then push(id, redis.call('HGETALL', runPrefix .. id)) end
    end
  end
  if #ids < n then break end
end
out[3] = looked
return out
`;
