--[[
  settle: ends a call. Answered calls pay for ceil(ended - answered) seconds,
  capped at the funded seconds; the billed time is split along the sources'
  segments (pools first pay their billed seconds, credits the rest, with the
  connection fee only when credits funded the start). Debits exactly the
  charge written on the usage record, releases the rest of the hold, and
  turns the hold into a settled record: a repeat returns the same result with
  applied = 0. Recovery mode settles an expired lease from its last confirmed
  time and refuses a lease that is still alive.

  KEYS[1] account hash   KEYS[2] hold hash   KEYS[3] leases zset   KEYS[4] usage stream
  KEYS[5] pool registry (unused)   KEYS[6..] the hold's pool hashes
  ARGV[1] mode: end | recover      ARGV[2] ended at ms (end mode)   ARGV[3] end reason
  ARGV[4] now ms (recover mode: lease check)   ARGV[5] usage retention ms   ARGV[6] settled record TTL ms

  Returns
    {0 OK, applied 1/0, usage id, start ms, end ms, duration s, connection fee, charge, capability,
       end reason, balance after, crossed threshold 1/0, crossed zero 1/0, pool alerts "i:80 i:100",
       usage draft JSON, sources JSON, currency, stream id}
    {1 UNKNOWN_TENANT}  {2 UNKNOWN_HOLD}  {9 NOT_EXPIRED}  {10 KEYS_MISMATCH}
]]
--- @include "lib/rating.lua"
--- @include "lib/hold.lua"

local h = load_hold(KEYS[2])
if h == nil then return { 2 } end
local f = h.f
if h.st == 'settled' then
  return { 0, 0, f.uid, f.rs, f.re, f.rdur, f.rfee, f.rchg, f.rcap, f.rwhy, f.rbal, f.rth, f.rz, f.ral,
    f.draft, f.srcj, f.cur, f.rid }
end
if not pool_keys_match(f.pks) then return { 10 } end
local recover = ARGV[1] == 'recover'
if recover and h.lease > tonumber(ARGV[4]) then return { 9 } end
local acct = load_account(KEYS[1])
if acct == nil then return { 1 } end

local ended = tonumber(ARGV[2])
if recover then ended = h.conf end
local start = tonumber(f.t0)
local duration = 0
if h.ans ~= nil then
  start = h.ans
  duration = math.min(h.T, math.max(0, math.ceil((ended - h.ans) / 1000)))
end
local billed = billed_seconds(duration, h.ini, h.sub)

local pools = load_pools()
local charge, fee_charged = 0, 0
local labels, seen, alerts = {}, {}, {}
local function label(i)
  if not seen[h.lab[i]] then seen[h.lab[i]] = true; table.insert(labels, h.lab[i]) end
end
for i = 1, h.n do
  if h.s[i] ~= nil then
    local part = math.max(0, math.min(billed, h.e[i]) - h.s[i])
    if h.kind[i] == 'p' then
      local p = pools[h.pj[i]]
      local before = p.used
      p.used = p.used + part
      p.held = p.held - (h.e[i] - h.s[i])
      for _, pct in ipairs({ 80, 100 }) do
        if p.size > 0 and before * 100 < pct * p.size and p.used * 100 >= pct * p.size then
          table.insert(alerts, i .. ':' .. pct)
        end
      end
    elseif h.kind[i] == 'c' then
      charge = credit_cost(part, h.s[i] == 0, h.pr, h.fee, h.step)
      if charge > 0 and h.s[i] == 0 then fee_charged = h.fee end
    end
    if part > 0 then label(i) end
  end
end
if #labels == 0 then
  for i = 1, h.n do
    if h.s[i] ~= nil then label(i); break end
  end
end
if #labels == 0 then label(1) end
local cap = table.concat(labels, '+')

local bal_before = acct.bal
local bal_after = bal_before - charge
local crossed_thr, crossed_zero = 0, 0
if acct.thr ~= nil and bal_before >= acct.thr and bal_after < acct.thr then crossed_thr = 1 end
if bal_before > 0 and bal_after <= 0 then crossed_zero = 1 end
local alert_text = table.concat(alerts, ' ')

-- The stream write goes first: if it fails, nothing else has changed.
local ms = math.max(ended, acct.ulast, 0)
local min_id = math.max(0, ms - tonumber(ARGV[5]))
local id = redis.call('XADD', KEYS[4], 'MINID', '~', int(min_id), int(ms) .. '-*',
  'u', f.uid, 'd', f.draft, 's', int(start), 'e', int(ended), 'dur', int(duration), 'fee', int(fee_charged),
  'chg', int(charge), 'cap', cap, 'why', ARGV[3])

redis.call('HSET', KEYS[1], 'bal', int(bal_after), 'held', int(acct.held - h.hm),
  'ulast', int(ms), 'ulag', int(math.max(acct.ulag, ms - start)))
save_pools(pools)
redis.call('ZREM', KEYS[3], f.cid)
redis.call('HSET', KEYS[2], 'st', 'settled', 'rs', int(start), 're', int(ended), 'rdur', int(duration),
  'rfee', int(fee_charged), 'rchg', int(charge), 'rcap', cap, 'rwhy', ARGV[3], 'rbal', int(bal_after),
  'rth', crossed_thr, 'rz', crossed_zero, 'ral', alert_text, 'rid', id)
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return { 0, 1, f.uid, int(start), int(ended), int(duration), int(fee_charged), int(charge), cap, ARGV[3],
  int(bal_after), crossed_thr, crossed_zero, alert_text, f.draft, f.srcj, f.cur, id }
