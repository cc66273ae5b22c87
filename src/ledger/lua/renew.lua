--[[
  renew: renews the leases of many live calls of one tenant in one step, on
  Redis time, and for answered calls confirms the time used (each call's own
  call time, never past its funded end). Funds nothing: a call that needs its
  next slice runs extend.lua. A repeat is harmless (leases only grow,
  confirmed time never passes the time sent).

  KEYS[1] tenant leases zset   KEYS[2] slot due-index zset   KEYS[3..] the calls' hold hashes
  ARGV[1] lease ms   ARGV[2] allowed clock skew ms   ARGV[3..] each call's call time now (ms), in the order of KEYS[3..]

  Returns
    {0 OK, {per call: 0 renewed, 2 UNKNOWN_HOLD, 8 HOLD_ENDED (settled), 14 CLOCK_SKEW}, Redis time ms}
]]
--- @include "lib/int.lua"
--- @include "lib/clock.lua"

local rnow = redis_ms()
local lease_ms = tonumber(ARGV[1])
local skew = tonumber(ARGV[2])
local out = {}
for i = 3, #KEYS do
  local key = KEYS[i]
  local now = tonumber(ARGV[i])
  local f = redis.call('HMGET', key, 'st', 'lease', 'cid', 'dm', 'ans', 'T', 'conf')
  if not f[1] then
    out[#out + 1] = 2
  elseif f[1] == 'settled' then
    out[#out + 1] = 8
  elseif skewed(now, rnow, skew) then
    out[#out + 1] = 14
  else
    local lease = math.max(tonumber(f[2]), rnow + lease_ms)
    redis.call('ZADD', KEYS[1], int(lease), f[3])
    if f[4] then redis.call('ZADD', KEYS[2], int(lease), f[4]) end
    if f[1] == 'answered' then
      local conf = math.max(tonumber(f[7]), math.min(now, tonumber(f[5]) + tonumber(f[6]) * 1000))
      redis.call('HSET', key, 'lease', int(lease), 'conf', int(conf))
    else
      redis.call('HSET', key, 'lease', int(lease))
    end
    out[#out + 1] = 0
  end
end
return { 0, out, int(rnow) }
