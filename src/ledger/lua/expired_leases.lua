--[[
  expired_leases: the calls of one cluster slot whose lease ran out on Redis
  time, oldest first: the work of one recovery pass, found in O(expired);
  and whether the slot still has live holds or effects waiting.

  KEYS[1] slot due-index zset ("tenant:call" -> lease expiry ms)   KEYS[2] slot outbox stream
  ARGV[1] most members to return

  Returns
    {0 OK, {member, ...}, live holds in the slot, outbox entries in the slot}
]]
--- @include "lib/clock.lua"

local rnow = redis_ms()
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', rnow), 'LIMIT', 0, tonumber(ARGV[1]))
local outbox = 0
if redis.call('EXISTS', KEYS[2]) == 1 then outbox = redis.call('XLEN', KEYS[2]) end
return { 0, expired, redis.call('ZCARD', KEYS[1]), outbox }
