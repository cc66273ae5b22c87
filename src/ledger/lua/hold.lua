--[[
  hold: takes the first slice of a call across its ordered funding sources
  and leases the hold; writes nothing when no second can be funded.

  KEYS[1] account hash      KEYS[2] hold hash       KEYS[3] leases zset (call id -> lease expiry ms)
  KEYS[4] usage stream (unused; same layout as extend and settle)
  KEYS[5] pool registry hash (pool key -> pool ref JSON)
  KEYS[6..] pool hashes {size, used, held}, in the order the sources name them

  ARGV[1] call id           ARGV[2] now ms          ARGV[3] lease ms        ARGV[4] slice seconds
  ARGV[5] currency          ARGV[6] minor-unit step (micros)                ARGV[7] price per minute
  ARGV[8] connection fee    ARGV[9] initial increment                       ARGV[10] subsequent increment
  ARGV[11] require positive balance (1/0, rule 19)                          ARGV[12] usage id
  ARGV[13] usage draft JSON ARGV[14] sources JSON   ARGV[15] pool keys JSON ARGV[16] pool key TTL ms
  ARGV[17] source count n, then four per source i from ARGV[18]:
           kind (p pool, c credits, f free), capability label, pool size seconds, pool ref JSON

  Returns
    {0 OK, funded seconds, held micros, unlimited 1/0}
    {1 UNKNOWN_TENANT}  {3 DUPLICATE_CALL}  {4 NO_FUNDS}  {5 POOL_EMPTY_NO_CREDITS}
    {6 BALANCE_NOT_POSITIVE}  {7 CURRENCY_MISMATCH}  {10 KEYS_MISMATCH}
]]
--- @include "lib/rating.lua"
--- @include "lib/hold.lua"
--- @include "lib/funding.lua"

if redis.call('EXISTS', KEYS[2]) == 1 then return { 3 } end
local acct = load_account(KEYS[1])
if acct == nil then return { 1 } end
if acct.cur ~= ARGV[5] then return { 7 } end
if not pool_keys_match(ARGV[15]) then return { 10 } end
if ARGV[11] == '1' and acct.bal <= -acct.lim then return { 6 } end

local now = tonumber(ARGV[2])
local h = {
  n = tonumber(ARGV[17]), ci = 1, T = 0, hm = 0,
  pr = tonumber(ARGV[7]), fee = tonumber(ARGV[8]), ini = tonumber(ARGV[9]), sub = tonumber(ARGV[10]),
  step = tonumber(ARGV[6]), kind = {}, lab = {}, pj = {}, s = {}, e = {},
}
local pools = load_pools()
local refs = {}
local has_credits, unlimited = false, 0
local j = 0
for i = 1, h.n do
  local base = 18 + (i - 1) * 4
  h.kind[i] = ARGV[base]
  h.lab[i] = ARGV[base + 1]
  if h.kind[i] == 'p' then
    j = j + 1
    h.pj[i] = j
    -- The pool grows when users get the plan mid-month: size comes with every hold.
    pools[j].size = tonumber(ARGV[base + 2])
    refs[j] = ARGV[base + 3]
  elseif h.kind[i] == 'c' then
    has_credits = true
  elseif h.kind[i] == 'f' then
    unlimited = 1
  end
end
if j ~= #pools then return { 10 } end

fund_until(h, slice_target(h, tonumber(ARGV[4])), acct, pools)
if h.T == 0 then
  if has_credits then return { 4 } end
  return { 5 }
end

local lease = now + tonumber(ARGV[3])
local fields = {
  'st', 'held', 'cid', ARGV[1], 'cur', ARGV[5], 'step', ARGV[6], 'pr', ARGV[7], 'fee', ARGV[8],
  'ini', ARGV[9], 'sub', ARGV[10], 'n', ARGV[17], 't0', int(now), 'ans', '', 'conf', int(now),
  'lease', int(lease), 'uid', ARGV[12], 'draft', ARGV[13], 'srcj', ARGV[14], 'pks', ARGV[15], 'unl', unlimited,
}
for i = 1, h.n do
  table.insert(fields, 'k' .. i); table.insert(fields, h.kind[i])
  table.insert(fields, 'lab' .. i); table.insert(fields, h.lab[i])
  if h.pj[i] ~= nil then table.insert(fields, 'pj' .. i); table.insert(fields, h.pj[i]) end
end
for _, v in ipairs(funding_fields(h)) do table.insert(fields, v) end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('ZADD', KEYS[3], int(lease), ARGV[1])
redis.call('HSET', KEYS[1], 'held', int(acct.held))
save_pools(pools)
local ttl = ARGV[16]
for jj = 1, #pools do
  redis.call('PEXPIRE', KEYS[POOL_KEY_BASE + jj], ttl)
  redis.call('HSET', KEYS[5], KEYS[POOL_KEY_BASE + jj], refs[jj])
end
return { 0, h.T, h.hm, unlimited }
