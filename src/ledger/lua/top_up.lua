--[[
  top_up: adds money to a tenant's balance once per reference (rule 24); a
  repeated reference returns the first result with applied = 0.

  KEYS[1] account hash   KEYS[2] top-ups hash (reference -> "amount balance-after at-ms")
  ARGV[1] reference      ARGV[2] amount micros (> 0)   ARGV[3] at ms   ARGV[4] largest balance allowed

  Returns
    {0 OK, applied 1/0, amount, balance after}
    {1 UNKNOWN_TENANT}  {11 BAD_ARGUMENT}
]]
local cur = redis.call('HGET', KEYS[1], 'cur')
if not cur then return { 1 } end
local prev = redis.call('HGET', KEYS[2], ARGV[1])
if prev then
  local amount, bal = string.match(prev, '^(%-?%d+) (%-?%d+)')
  return { 0, 0, amount, bal }
end
local amount = tonumber(ARGV[2])
local bal = tonumber(redis.call('HGET', KEYS[1], 'bal'))
if amount <= 0 or bal + amount > tonumber(ARGV[4]) then return { 11 } end
local after = string.format('%.0f', redis.call('HINCRBY', KEYS[1], 'bal', ARGV[2]))
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. after .. ' ' .. ARGV[3])
return { 0, 1, ARGV[2], after }
