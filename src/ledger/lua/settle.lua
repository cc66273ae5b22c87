--[[
  settle: ends a call. Answered calls pay for ceil(ended - answered) seconds
  of the instance's call time, never less than the seconds already confirmed
  and never more than the funded seconds; the billed time is split along the
  sources' segments (pools first pay their billed seconds, credits the rest,
  with the connection fee only when credits funded the start). Debits exactly
  the charge written on the usage record, releases the rest of the hold,
  queues its effects in the slot outbox (recharge due, balance depleted, pool
  80/100 %) and turns the hold into a settled record. A repeat returns the
  same result; applied is 1 only for the settle token that applied it.
  Recovery mode settles a lease expired on Redis time and refuses a lease
  that is still alive: the call is billed up to the lease's end less the
  guard (the latest moment its lost instance could still have had it up, and
  about when the recovering instance hangs it up), never less than its last
  confirmed time.

  KEYS[1] account hash   KEYS[2] hold hash   KEYS[3] tenant leases zset   KEYS[4] usage stream
  KEYS[5] pool registry (unused)   KEYS[6] slot due-index zset   KEYS[7] slot outbox stream
  KEYS[8] slot history stream   KEYS[9] tenant limits hash (live calls and spend windows)   KEYS[10..] the hold's pool hashes
  ARGV[1] mode: end | recover      ARGV[2] ended at (call time ms, end mode)   ARGV[3] end reason
  ARGV[4] the instance's call time now (end mode)   ARGV[5] allowed clock skew ms
  ARGV[6] usage retention ms   ARGV[7] settled record TTL ms   ARGV[8] settle token ('' in recover mode)
  ARGV[9] how long a requested recharge stays pending before a later debit may ask again (ms)
  ARGV[10] recover mode: the lease guard (ms) when the hold names none: its instance hangs up this long before a lease it cannot renew ends
  ARGV[11] '1': append the usage record and the charge to the slot history stream   ARGV[12] instance id (history)

  Returns
    {0 OK, applied 1/0, usage id, start ms, end ms, duration s, connection fee, charge, capability,
       end reason, balance after, recharge due 1/0, crossed zero 1/0, pool alerts "i:80 i:100",
       usage draft JSON, sources JSON, currency, stream id, wire state JSON}
    {1 UNKNOWN_TENANT}  {2 UNKNOWN_HOLD}  {9 NOT_EXPIRED}  {10 KEYS_MISMATCH}  {11 BAD_ARGUMENT}
    {14 CLOCK_SKEW, Redis time ms}
]]
--- @include "lib/int.lua"
--- @include "lib/clock.lua"
--- @include "lib/rating.lua"
--- @include "lib/hold.lua"
--- @include "lib/history.lua"
--- @include "lib/limits.lua"

local h = load_hold(KEYS[2])
if h == nil then return { 2 } end
local f = h.f
if h.st == 'settled' then
  local r = read_fields(KEYS[2], { 'rtok', 'rs', 're', 'rdur', 'rfee', 'rchg', 'rcap', 'rwhy', 'rbal', 'rth', 'rz', 'ral', 'rid' })
  local mine = 0
  if ARGV[8] ~= '' and r.rtok == ARGV[8] then mine = 1 end
  return { 0, mine, f.uid, r.rs, r.re, r.rdur, r.rfee, r.rchg, r.rcap, r.rwhy, r.rbal, r.rth, r.rz, r.ral,
    f.draft, f.srcj, f.cur, r.rid, f.wire or '' }
end
if not pool_keys_match(f.pks) then return { 10 } end
local recover = ARGV[1] == 'recover'
local rnow = redis_ms()
if recover and h.lease > rnow then return { 9 } end
local ended = tonumber(ARGV[2])
if recover then
  ended = h.conf
  if h.ans ~= nil and f.answ then
    -- Redis time since the answer, up to the lease's end less the guard, on the call's own timeline.
    local talked = math.min(rnow, h.lease - tonumber(f.lg or ARGV[10])) - tonumber(f.answ)
    ended = math.max(h.conf, h.ans + talked)
  end
else
  -- The end may lie far back (a settle retried after an outage), never after the time it was sent.
  local sent = tonumber(ARGV[4])
  if skewed(sent, rnow, tonumber(ARGV[5])) then return { 14, int(rnow) } end
  if ended > sent then return { 11 } end
end
local acct = load_account(KEYS[1])
if acct == nil then return { 1 } end

local start = tonumber(f.t0)
local duration = 0
if h.ans ~= nil then
  start = h.ans
  ended = math.max(ended, h.ans)
  -- Never less than what the ledger already confirmed, never more than what was funded.
  local confirmed = math.floor((h.conf - h.ans) / 1000)
  duration = math.min(h.T, math.max(confirmed, math.ceil((ended - h.ans) / 1000)))
  ended = math.max(ended, h.ans + confirmed * 1000)
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
      if f.bands and part > 0 then
        -- Rule 29: priced per band segment (points on the call timeline, billed seconds from the answer).
        charge = banded_credit_cost(cjson.decode(f.bands), h.ans, h.s[i], h.s[i] + part, h.s[i] == 0, h.fee, h.step)
      else
        charge = credit_cost(part, h.s[i] == 0, h.pr, h.fee, h.step)
      end
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
local recharge_due, crossed_zero = 0, 0
-- Every debit that leaves the balance below the threshold asks, unless a recharge is already pending.
local rpend = acct.rpend
if acct.thr ~= nil and charge > 0 and bal_after < acct.thr and (rpend == nil or rpend <= rnow) then recharge_due = 1 end
if bal_before > 0 and bal_after <= 0 then crossed_zero = 1 end
local alert_text = table.concat(alerts, ' ')

-- The figures of the record as text, printed once: the usage stream, the history, the replay fields and the reply all carry them.
local t_start, t_ended, t_dur, t_fee, t_chg, t_bal = int(start), int(ended), int(duration), int(fee_charged), int(charge), int(bal_after)

-- Stream ids follow Redis time, so an instance's clock can neither reorder nor trim history.
local ms = math.max(rnow, acct.ulast, 0)
local t_ms = int(ms)
local min_id = math.max(0, rnow - tonumber(ARGV[6]))
local id = redis.call('XADD', KEYS[4], 'MINID', '~', int(min_id), t_ms .. '-*',
  'u', f.uid, 'd', f.draft, 's', t_start, 'e', t_ended, 'dur', t_dur, 'fee', t_fee,
  'chg', t_chg, 'cap', cap, 'why', ARGV[3])

redis.call('HSET', KEYS[1], 'bal', t_bal, 'held', int(acct.held - h.hm),
  'ulast', t_ms, 'ulag', int(math.max(acct.ulag, ms - start)))
save_pools(pools)
redis.call('ZREM', KEYS[3], f.cid)
if f.dm then redis.call('ZREM', KEYS[6], f.dm) end
-- Rule 28: the user's live call ends, and the charge counts toward the spend windows.
if f.ulc == '1' then
  redis.call('HINCRBY', KEYS[9], 'ul:' .. f.usr, -1)
  redis.call('HINCRBY', KEYS[9], 'uhm:' .. f.usr, -int(h.hm))
end
record_spend(f.usr or '', charge, rnow)

-- Effects go to the outbox in the same step: a lost reply or a crash cannot lose or double them.
local tid = f.tid or ''
local function effect(kind, event, ...)
  redis.call('XADD', KEYS[7], '*', 'k', kind, 't', tid, 'c', f.cid, 'e', f.uid .. ':' .. event,
    'cur', f.cur, 'bal', t_bal, 'at', t_ended, ...)
end
if recharge_due == 1 then
  redis.call('HSET', KEYS[1], 'rpend', int(rnow + tonumber(ARGV[9])))
  effect('recharge', 'recharge')
end
if crossed_zero == 1 then effect('depleted', 'depleted') end
if #alerts > 0 then
  local sources = cjson.decode(f.srcj)
  for _, alert in ipairs(alerts) do
    local i, pct = string.match(alert, '^(%d+):(%d+)$')
    local src = sources[tonumber(i)]
    if src ~= nil and src.pool ~= nil then effect('pool', 'pool:' .. alert, 'pct', pct, 'pool', cjson.encode(src.pool)) end
  end
end

-- The usage record and the charge go to the history outbox in the same step (rule 33).
if ARGV[11] == '1' then
  local fields = { 't', tid, 'cur', f.cur, 'at', int(rnow), 'inst', ARGV[12] or '',
    'u', f.uid, 'd', f.draft, 's', t_start, 'e', t_ended, 'dur', t_dur, 'fee', t_fee,
    'chg', t_chg, 'cap', cap, 'why', ARGV[3] }
  if charge > 0 then
    local ep, seq = journal_next(KEYS[1], rnow)
    for _, v in ipairs({ 'jk', 'charge', 'ja', int(-charge), 'jb', t_bal, 'jr', f.cid, 'jep', ep, 'jn', seq }) do
      table.insert(fields, v)
    end
  end
  history_append(KEYS[8], fields)
end

redis.call('HSET', KEYS[2], 'st', 'settled', 'rs', t_start, 're', t_ended, 'rdur', t_dur,
  'rfee', t_fee, 'rchg', t_chg, 'rcap', cap, 'rwhy', ARGV[3], 'rbal', t_bal,
  'rth', recharge_due, 'rz', crossed_zero, 'ral', alert_text, 'rid', id, 'rtok', ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return { 0, 1, f.uid, t_start, t_ended, t_dur, t_fee, t_chg, cap, ARGV[3],
  t_bal, recharge_due, crossed_zero, alert_text, f.draft, f.srcj, f.cur, id, f.wire or '' }
