--[[
  extend: renews a call's lease on Redis time and, once answered, confirms
  the time used (the instance's call time) and funds the next slice when
  less than one slice of funded time is left. An extend that could fund
  nothing reports the call exhausted: it must end at its funded seconds
  (rule 20). A repeat is harmless: it confirms no more than the call time sent.
  Month rollover (rule 10): when the caller passes the new month's pools and
  the call is funded by an old month's pool, that pool's segment ends where
  it is funded to and the new month's pool takes over from there.

  KEYS[1] account hash   KEYS[2] hold hash   KEYS[3] tenant leases zset
  KEYS[4] usage stream (unused)   KEYS[5] pool registry (unused)
  KEYS[6] slot due-index zset   KEYS[7] slot outbox (a limit's notice)   KEYS[8] slot history (unused)
  KEYS[9] tenant limits hash   KEYS[10..] the hold's pool hashes,
  then (rollover) the new month's hash of each of them, in the same order
  ARGV[1] the instance's call time now (ms)   ARGV[2] lease ms   ARGV[3] slice seconds   ARGV[4] allowed clock skew ms
  ARGV[5] rollover JSON {refs: [new month's pool ref JSON, per pool], ttl: key TTL ms} or ''

  Returns
    {0 OK, funded seconds, exhausted 1/0, unlimited 1/0, micros held for the call, rolled over 1/0,
       exhausted by a limit (rule 28) rather than by money 1/0}
    {1 UNKNOWN_TENANT}  {2 UNKNOWN_HOLD}  {8 HOLD_ENDED, settled duration seconds}  {10 KEYS_MISMATCH}
    {14 CLOCK_SKEW, Redis time ms}
]]
--- @include "lib/int.lua"
--- @include "lib/clock.lua"
--- @include "lib/rating.lua"
--- @include "lib/hold.lua"
--- @include "lib/funding.lua"
--- @include "lib/limits.lua"

local h = load_hold(KEYS[2])
if h == nil then return { 2 } end
if h.st == 'settled' then return { 8, tonumber(redis.call('HGET', KEYS[2], 'rdur')) } end
local roll = nil
if ARGV[5] ~= '' then roll = cjson.decode(ARGV[5]) end
local pks = cjson.decode(h.f.pks)
if not pool_keys_match(h.f.pks, roll and #pks or 0) then return { 10 } end

local rnow = redis_ms()
local now = tonumber(ARGV[1])
if skewed(now, rnow, tonumber(ARGV[4])) then return { 14, int(rnow) } end
local lease = math.max(h.lease, rnow + tonumber(ARGV[2]))
redis.call('ZADD', KEYS[3], int(lease), h.f.cid)
if h.f.dm then redis.call('ZADD', KEYS[6], int(lease), h.f.dm) end
local fields = { 'lease', int(lease) }
local exhausted, rolled, limited = 0, 0, 0
local pools = load_pools(#pks)
if roll ~= nil and h.kind[h.ci] == 'p' and h.s[h.ci] ~= nil and h.e[h.ci] == h.T then
  -- Insert the new month's pool right after the current one: its segment starts at T.
  local i, j = h.ci, h.pj[h.ci]
  local key = KEYS[POOL_KEY_BASE + #pks + j]
  if key ~= pools[j].key then
    local p = redis.call('HMGET', key, 'size', 'used', 'held')
    local ref = roll.refs[j]
    local size = tonumber(cjson.decode(ref).sizeSeconds)
    table.insert(pools, { key = key, size = size, used = num(p[2]) or 0, held = num(p[3]) or 0 })
    for x = h.n, i + 1, -1 do
      h.kind[x + 1], h.lab[x + 1], h.pj[x + 1], h.s[x + 1], h.e[x + 1] = h.kind[x], h.lab[x], h.pj[x], h.s[x], h.e[x]
    end
    h.n = h.n + 1
    h.kind[i + 1], h.lab[i + 1], h.pj[i + 1], h.s[i + 1], h.e[i + 1] = 'p', h.lab[i], #pools, nil, nil
    h.ci = i + 1
    table.insert(pks, key)
    local srcs = cjson.decode(h.f.srcj)
    table.insert(srcs, i + 1, { kind = 'pool', pool = cjson.decode(ref) })
    for x = 1, h.n do
      table.insert(fields, 'k' .. x); table.insert(fields, h.kind[x])
      table.insert(fields, 'lab' .. x); table.insert(fields, h.lab[x])
      if h.pj[x] ~= nil then table.insert(fields, 'pj' .. x); table.insert(fields, h.pj[x]) end
      if h.s[x] == nil then redis.call('HDEL', KEYS[2], 's' .. x, 'e' .. x) end
    end
    for _, v in ipairs({ 'n', int(h.n), 'pks', cjson.encode(pks), 'srcj', cjson.encode(srcs) }) do table.insert(fields, v) end
    append_funding_fields(h, fields)
    redis.call('HSET', KEYS[5], key, ref)
    redis.call('HSET', key, 'size', int(size), 'used', int(num(p[2]) or 0), 'held', int(num(p[3]) or 0))
    redis.call('PEXPIRE', key, roll.ttl)
    rolled = 1
  end
end
if h.st == 'answered' then
  local slice = tonumber(ARGV[3])
  local elapsed = math.max(0, math.ceil((now - h.ans) / 1000))
  if h.T - elapsed < slice then
    local acct = load_account(KEYS[1])
    if acct == nil then return { 1 } end
    local before, hm_before = h.T, h.hm
    local lm, usr = nil, h.f.usr or ''
    if h.f.lm and h.f.lm ~= '' then lm = cjson.decode(h.f.lm) end
    h.cap = spend_cap(lm, usr, acct.held, h.hm, rnow)
    fund_until(h, slice_target(h, slice), acct, pools)
    if h.T > before then
      redis.call('HSET', KEYS[1], 'held', int(acct.held))
      if h.f.ulc == '1' and h.hm ~= hm_before then redis.call('HINCRBY', KEYS[9], 'uhm:' .. usr, int(h.hm - hm_before)) end
      save_pools(pools)
      append_funding_fields(h, fields)
    else
      exhausted = 1
      -- The money was there, a limit was not: the call ends at its funded second for the limit.
      if h.cap ~= nil and h.cap < acct.bal + acct.lim - acct.held + h.hm then
        limited = 1
        local code = 'LIMIT_SPEND'
        if lm.mc ~= nil and h.cap >= lm.mc then code = 'LIMIT_CALL_CHARGE' end
        limit_notice(KEYS[7], h.f.tid or '', '', code, rnow)
      end
    end
  end
  local conf = math.max(h.conf, math.min(now, h.ans + h.T * 1000))
  table.insert(fields, 'conf'); table.insert(fields, int(conf))
end
redis.call('HSET', KEYS[2], unpack(fields))
return { 0, h.T, exhausted, tonumber(h.f.unl), h.hm, rolled, limited }
