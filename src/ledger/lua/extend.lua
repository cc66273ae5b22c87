--[[
  extend: renews a call's lease and, once answered, confirms the time used
  and funds the next slice when less than one slice of funded time is left.
  An extend that could fund nothing reports the call exhausted: it must end
  at its funded seconds (rule 20).

  KEYS[1] account hash   KEYS[2] hold hash   KEYS[3] leases zset
  KEYS[4] usage stream (unused)   KEYS[5] pool registry (unused)   KEYS[6..] the hold's pool hashes
  ARGV[1] now ms   ARGV[2] lease ms   ARGV[3] slice seconds

  Returns
    {0 OK, funded seconds, exhausted 1/0, unlimited 1/0, micros held for the call}
    {1 UNKNOWN_TENANT}  {2 UNKNOWN_HOLD}  {8 HOLD_ENDED, settled duration seconds}  {10 KEYS_MISMATCH}
]]
--- @include "lib/rating.lua"
--- @include "lib/hold.lua"
--- @include "lib/funding.lua"

local h = load_hold(KEYS[2])
if h == nil then return { 2 } end
if h.st == 'settled' then return { 8, tonumber(h.f.rdur) } end
if not pool_keys_match(h.f.pks) then return { 10 } end

local now = tonumber(ARGV[1])
local lease = math.max(h.lease, now + tonumber(ARGV[2]))
redis.call('ZADD', KEYS[3], int(lease), h.f.cid)
local fields = { 'lease', int(lease) }
local exhausted = 0
if h.st == 'answered' then
  local slice = tonumber(ARGV[3])
  local elapsed = math.max(0, math.ceil((now - h.ans) / 1000))
  if h.T - elapsed < slice then
    local acct = load_account(KEYS[1])
    if acct == nil then return { 1 } end
    local pools = load_pools()
    local before = h.T
    fund_until(h, slice_target(h, slice), acct, pools)
    if h.T > before then
      redis.call('HSET', KEYS[1], 'held', int(acct.held))
      save_pools(pools)
      for _, v in ipairs(funding_fields(h)) do table.insert(fields, v) end
    else
      exhausted = 1
    end
  end
  local conf = math.max(h.conf, math.min(now, h.ans + h.T * 1000))
  table.insert(fields, 'conf'); table.insert(fields, int(conf))
end
redis.call('HSET', KEYS[2], unpack(fields))
return { 0, h.T, exhausted, tonumber(h.f.unl), h.hm }
