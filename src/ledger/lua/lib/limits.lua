--[[
  Limits against fraud and runaway spend (rule 28), kept in the tenant's
  limits hash (KEYS[LIMITS_KEY]) and checked in the same step as the hold,
  so instances racing each other can never exceed one together.
    ul:<user>    live calls of a user        uhm:<user>  money held by them
    tb, tt       attempt bucket: tokens, refilled-at ms
    sm:<minute>, sh:<hour>                   money the tenant was charged
    usm:<user>:<minute>, ush:<user>:<hour>   money a user was charged
    smk, shk, usmk:<user>, ushk:<user>       the minutes / hours that have such a bucket
    n:<code>:<scope>   the window of the last notice of that limit
  lm (the limits of a hold): tc/uc concurrent calls (tenant/user), th/td and
  uhr/udy spend per hour and day, mc most one call may cost, ar attempts/s.
]]

local LIMITS_KEY = 9

local function sum_fields(fields)
  if #fields == 0 then return 0 end
  local total = 0
  for _, v in ipairs(redis.call('HMGET', KEYS[LIMITS_KEY], unpack(fields))) do
    if v then total = total + tonumber(v) end
  end
  return total
end

-- Money charged in the rolling hour (60 one-minute buckets) and day (24 one-hour buckets) up to now.
local function spent(prefix_m, prefix_h, now)
  local minute, hour = math.floor(now / 60000), math.floor(now / 3600000)
  local mf, hf = {}, {}
  for i = 0, 59 do table.insert(mf, prefix_m .. int(minute - i)) end
  for i = 0, 23 do table.insert(hf, prefix_h .. int(hour - i)) end
  return sum_fields(mf), sum_fields(hf)
end

local function hnum(field)
  return tonumber(redis.call('HGET', KEYS[LIMITS_KEY], field) or '0')
end

-- How much more money a call may hold, counting what it holds now (hm), or nil when no limit applies.
local function spend_cap(lm, usr, held_tenant, hm, now)
  if lm == nil then return nil end
  local cap = nil
  local function take(limit, used)
    if limit == nil then return end
    local room = limit - used + hm
    if cap == nil or room < cap then cap = room end
  end
  if lm.th or lm.td then
    local h, d = spent('sm:', 'sh:', now)
    take(lm.th, h + held_tenant)
    take(lm.td, d + held_tenant)
  end
  if usr ~= '' and (lm.uhr or lm.udy) then
    local h, d = spent('usm:' .. usr .. ':', 'ush:' .. usr .. ':', now)
    local uheld = hnum('uhm:' .. usr)
    take(lm.uhr, h + uheld)
    take(lm.udy, d + uheld)
  end
  if lm.mc ~= nil and (cap == nil or lm.mc < cap) then cap = lm.mc end
  if cap ~= nil and cap < 0 then cap = 0 end
  return cap
end

-- A scope's window bucket got its first charge (prefix .. at): the buckets of
-- that scope that have left the window go, and it joins the scope's list of
-- buckets (list_field, space-separated, oldest first). Without the list a
-- bucket whose window passed with no charge at exactly its end would stay in
-- the hash for as long as the tenant is active.
local function bucket_created(k, list_field, prefix, at, oldest_kept)
  local list = redis.call('HGET', k, list_field)
  local keep, gone = {}, {}
  if list then
    for x in string.gmatch(list, '%d+') do
      if tonumber(x) < oldest_kept then gone[#gone + 1] = prefix .. x else keep[#keep + 1] = x end
    end
  end
  keep[#keep + 1] = at
  if #gone > 0 then redis.call('HDEL', k, unpack(gone)) end
  redis.call('HSET', k, list_field, table.concat(keep, ' '))
end

-- Adds a charge to a scope's current minute and hour buckets; true when the minute bucket is new.
local function add_to_windows(k, pm, ph, lm, lh, minute, hour, m, hr, charge, text)
  local fresh = redis.call('HINCRBY', k, pm .. minute, text) == charge
  if fresh then bucket_created(k, lm, pm, minute, m - 59) end
  if redis.call('HINCRBY', k, ph .. hour, text) == charge then bucket_created(k, lh, ph, hour, hr - 23) end
  return fresh
end

-- A settled charge counts toward the rolling windows (spent() reads the last
-- 60 minute and 24 hour buckets). Buckets are pruned when a new one starts,
-- so a settle into an existing bucket costs one HINCRBY per window.
local function record_spend(usr, charge, now)
  if charge <= 0 then return end
  local m, hr = math.floor(now / 60000), math.floor(now / 3600000)
  local minute, hour = int(m), int(hr)
  local k = KEYS[LIMITS_KEY]
  local text = int(charge)
  local fresh = add_to_windows(k, 'sm:', 'sh:', 'smk', 'shk', minute, hour, m, hr, charge, text)
  if usr ~= '' then
    add_to_windows(k, 'usm:' .. usr .. ':', 'ush:' .. usr .. ':', 'usmk:' .. usr, 'ushk:' .. usr, minute, hour, m, hr, charge, text)
  end
  -- A tenant bucket that already existed was started within the minute, with this.
  if fresh then redis.call('PEXPIRE', k, '172800000') end -- two days
end

-- One notice per limit, scope (the tenant, or usr when the user's limit) and hour: an outbox entry only when this window has none yet.
local function limit_notice(outbox, tid, usr, code, now, detail)
  local scope = 't'
  if usr ~= '' then scope = 'u:' .. usr end
  local window = math.floor(now / 3600000)
  local field = 'n:' .. code .. ':' .. scope
  if redis.call('HGET', KEYS[LIMITS_KEY], field) == tostring(window) then return end
  redis.call('HSET', KEYS[LIMITS_KEY], field, tostring(window))
  redis.call('XADD', outbox, '*', 'k', 'limit', 't', tid, 'c', '', 'e', tid .. ':' .. code .. ':' .. scope .. ':' .. int(window),
    'cur', '', 'bal', '0', 'at', int(now), 'lim', code, 'usr', usr, 'det', detail or '')
end
