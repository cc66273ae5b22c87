--[[
  top_up: moves money into (or, for an adjustment, out of) a tenant's balance
  once per reference (rule 24); a repeated reference returns the first result
  with applied = 0. A movement that leaves the balance at its recharge
  threshold or above ends a pending recharge. With history on, the movement
  goes to the slot's history stream in the same step (rule 33).

  KEYS[1] account hash   KEYS[2] top-ups hash (reference -> "amount balance-after at-ms")
  KEYS[3] slot history stream
  ARGV[1] reference      ARGV[2] amount micros (> 0; an adjustment may be < 0, never 0)   ARGV[3] at ms (the instance's clock)
  ARGV[4] largest balance allowed   ARGV[5] allowed clock skew ms
  ARGV[6] kind: top-up | recharge | adjustment   ARGV[7] '1': append to the history stream   ARGV[8] instance id
  ARGV[9] smallest balance an adjustment may leave   ARGV[10] tenant id (history)

  Returns
    {0 OK, applied 1/0, amount, balance after}
    {1 UNKNOWN_TENANT}  {11 BAD_ARGUMENT}  {14 CLOCK_SKEW, Redis time ms}
]]
--- @include "lib/int.lua"
--- @include "lib/clock.lua"
--- @include "lib/history.lua"

local cur = redis.call('HGET', KEYS[1], 'cur')
if not cur then return { 1 } end
local prev = redis.call('HGET', KEYS[2], ARGV[1])
if prev then
  local amount, bal = string.match(prev, '^(%-?%d+) (%-?%d+)')
  return { 0, 0, amount, bal }
end
local rnow = redis_ms()
if skewed(tonumber(ARGV[3]), rnow, tonumber(ARGV[5])) then return { 14, int(rnow) } end
local amount = tonumber(ARGV[2])
local kind = ARGV[6] or 'top-up'
local bal = tonumber(redis.call('HGET', KEYS[1], 'bal'))
if amount == 0 or bal + amount > tonumber(ARGV[4]) then return { 11 } end
if kind ~= 'adjustment' and amount < 0 then return { 11 } end
if amount < 0 and bal + amount < tonumber(ARGV[9] or '0') then return { 11 } end
local after = int(redis.call('HINCRBY', KEYS[1], 'bal', ARGV[2]))
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. after .. ' ' .. ARGV[3])
local thr = redis.call('HGET', KEYS[1], 'thr')
if thr and thr ~= '' and tonumber(after) >= tonumber(thr) then redis.call('HDEL', KEYS[1], 'rpend') end
if ARGV[7] == '1' then
  local ep, seq = journal_next(KEYS[1], rnow)
  history_append(KEYS[3], { 't', ARGV[10] or '', 'cur', cur, 'at', int(rnow),
    'inst', ARGV[8] or '', 'jk', kind, 'ja', ARGV[2], 'jb', after, 'jr', ARGV[1], 'jep', ep, 'jn', seq })
end
return { 0, 1, ARGV[2], after }
