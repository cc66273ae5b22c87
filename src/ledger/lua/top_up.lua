--[[
  top_up: adds money to a tenant's balance once per reference (rule 24); a
  repeated reference returns the first result with applied = 0. A top-up that
  lifts the balance to its recharge threshold or above ends a pending recharge.

  KEYS[1] account hash   KEYS[2] top-ups hash (reference -> "amount balance-after at-ms")
  ARGV[1] reference      ARGV[2] amount micros (> 0)   ARGV[3] at ms (the instance's clock)
  ARGV[4] largest balance allowed   ARGV[5] allowed clock skew ms

  Returns
    {0 OK, applied 1/0, amount, balance after}
    {1 UNKNOWN_TENANT}  {11 BAD_ARGUMENT}  {14 CLOCK_SKEW, Redis time ms}
]]
--- @include "lib/clock.lua"

local cur = redis.call('HGET', KEYS[1], 'cur')
if not cur then return { 1 } end
local prev = redis.call('HGET', KEYS[2], ARGV[1])
if prev then
  local amount, bal = string.match(prev, '^(%-?%d+) (%-?%d+)')
  return { 0, 0, amount, bal }
end
local rnow = redis_ms()
if skewed(tonumber(ARGV[3]), rnow, tonumber(ARGV[5])) then return { 14, string.format('%.0f', rnow) } end
local amount = tonumber(ARGV[2])
local bal = tonumber(redis.call('HGET', KEYS[1], 'bal'))
if amount <= 0 or bal + amount > tonumber(ARGV[4]) then return { 11 } end
local after = string.format('%.0f', redis.call('HINCRBY', KEYS[1], 'bal', ARGV[2]))
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. after .. ' ' .. ARGV[3])
local thr = redis.call('HGET', KEYS[1], 'thr')
if thr and thr ~= '' and tonumber(after) >= tonumber(thr) then redis.call('HDEL', KEYS[1], 'rpend') end
return { 0, 1, ARGV[2], after }
