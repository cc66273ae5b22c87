--[[
  expired_leases: the calls of one cluster slot whose lease ran out on Redis
  time, oldest first: the work of one recovery pass, found in O(expired);
  whether the slot still has live holds, effects or history waiting, and
  how old (on Redis time) its oldest waiting effect is.

  KEYS[1] slot due-index zset ("tenant:call" -> lease expiry ms)   KEYS[2] slot outbox stream
  KEYS[3] slot history stream (optional)
  ARGV[1] most members to return

  Returns
    {0 OK, {member, ...}, live holds in the slot, outbox entries in the slot,
       age of the oldest outbox entry (ms, 0 when none), history entries in the slot}
]]
--- @include "lib/int.lua"
--- @include "lib/clock.lua"

local rnow = redis_ms()
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', int(rnow), 'LIMIT', 0, tonumber(ARGV[1]))
local outbox, oldest, history = 0, 0, 0
if redis.call('EXISTS', KEYS[2]) == 1 then
  outbox = redis.call('XLEN', KEYS[2])
  local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  if first then oldest = math.max(0, rnow - tonumber(string.match(first[1], '^(%d+)'))) end
end
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then history = redis.call('XLEN', KEYS[3]) end
return { 0, expired, redis.call('ZCARD', KEYS[1]), outbox, int(oldest), history }
