--[[
  answer: marks a held call answered; metering of funded seconds starts at
  the answer time, which is also the first confirmed time. Idempotent.

  KEYS[1] hold hash   KEYS[2] leases zset
  ARGV[1] call id     ARGV[2] answered at ms   ARGV[3] lease ms

  Returns
    {0 OK}  {2 UNKNOWN_HOLD}  {8 HOLD_ENDED}
]]
local st = redis.call('HGET', KEYS[1], 'st')
if not st then return { 2 } end
if st == 'settled' then return { 8 } end
if st == 'answered' then return { 0 } end
local at = tonumber(ARGV[2])
local lease = math.max(tonumber(redis.call('HGET', KEYS[1], 'lease')), at + tonumber(ARGV[3]))
local lease_text = string.format('%.0f', lease)
redis.call('HSET', KEYS[1], 'st', 'answered', 'ans', ARGV[2], 'conf', ARGV[2], 'lease', lease_text)
redis.call('ZADD', KEYS[2], lease_text, ARGV[1])
return { 0 }
