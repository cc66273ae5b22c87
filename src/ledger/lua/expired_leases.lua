--[[
  expired_leases: the calls of one cluster slot whose lease ran out on Redis
  time, oldest first: the work of one recovery pass, found in O(expired).

  KEYS[1] slot due-index zset ("tenant:call" -> lease expiry ms)
  ARGV[1] most members to return

  Returns
    {0 OK, {member, ...}}
]]
--- @include "lib/clock.lua"

local rnow = redis_ms()
return { 0, redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', rnow), 'LIMIT', 0, tonumber(ARGV[1])) }
