--[[
  answer: marks a held call answered; metering of funded seconds starts at
  the answer time (the instance's call time), which is also the first
  confirmed time. Renews the lease on Redis time. Idempotent.

  KEYS[1] hold hash   KEYS[2] tenant leases zset   KEYS[3] slot due-index zset
  ARGV[1] call id     ARGV[2] answered at (call time ms)   ARGV[3] lease ms
  ARGV[4] the instance's call time now (ms)   ARGV[5] allowed clock skew ms
  ARGV[6] the call's wire state JSON (what any instance needs to end it on the wire; '' = none)

  Returns
    {0 OK}  {2 UNKNOWN_HOLD}  {8 HOLD_ENDED}  {11 BAD_ARGUMENT}  {14 CLOCK_SKEW, Redis time ms}
]]
--- @include "lib/int.lua"
--- @include "lib/clock.lua"

local f = redis.call('HMGET', KEYS[1], 'st', 'lease', 'dm')
if not f[1] then return { 2 } end
if f[1] == 'settled' then return { 8 } end
if f[1] == 'answered' then return { 0 } end
local rnow = redis_ms()
local sent, at = tonumber(ARGV[4]), tonumber(ARGV[2])
if skewed(sent, rnow, tonumber(ARGV[5])) then return { 14, int(rnow) } end
if at > sent then return { 11 } end
local lease = int(math.max(tonumber(f[2]), rnow + tonumber(ARGV[3])))
-- The answer on Redis time too, so a peer's recovery can measure the call on the shared clock.
local answ = int(rnow - (sent - at))
redis.call('HSET', KEYS[1], 'st', 'answered', 'ans', ARGV[2], 'answ', answ, 'conf', ARGV[2], 'lease', lease, 'wire', ARGV[6])
redis.call('ZADD', KEYS[2], lease, ARGV[1])
if f[3] then redis.call('ZADD', KEYS[3], lease, f[3]) end
return { 0 }
