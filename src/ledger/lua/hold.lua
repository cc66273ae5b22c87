--[[
  hold: takes the first slice of a call across its ordered funding sources
  and leases the hold on Redis time; writes nothing when no second can be
  funded. A resend of the same request (same request id) returns the first
  result instead of DUPLICATE_CALL.

  KEYS[1] account hash      KEYS[2] hold hash       KEYS[3] tenant leases zset (call id -> lease expiry)
  KEYS[4] usage stream (unused; same layout as extend and settle)
  KEYS[5] pool registry hash (pool key -> pool ref JSON)
  KEYS[6] slot due-index zset ("tenant:call" -> lease expiry)   KEYS[7] slot outbox (unused)
  KEYS[8] slot history stream (unused)   KEYS[9] tenant limits hash (lib/limits.lua)
  KEYS[10..] pool hashes {size, used, held}, in the order the sources name them

  ARGV[1] request JSON {cid, tid, rid (request id), now (instance call time ms), skew (ms), lease (ms),
          lg (lease guard ms), slice (s), cur, step (micros per minor unit), pr, fee, ini, sub, pos (1/0, rule 19), uid, dm (due member), ttl (pool key TTL ms),
          (now, lg, step, pr, fee, ini, sub and ttl as decimal text: written as they come, read as numbers once)
          usr (user id or ''), lm (limits, lib/limits.lua; absent when none),
          dv (the directory version the decision was made on, lib/directory.lua; absent = not checked)}
          and for a banded rate (rule 29) bands: price points JSON text [[call time ms, price per minute], ...], kept for the settle
  ARGV[2] usage draft JSON   ARGV[3] sources JSON   ARGV[4] pool keys JSON
  ARGV[5] per-source JSON [{k (p pool, c credits, f free), lab (capability), size (pool seconds), ref (pool ref JSON)}]

  Returns
    {0 OK, funded seconds, held micros, unlimited 1/0}
    {1 UNKNOWN_TENANT}  {3 DUPLICATE_CALL}  {4 NO_FUNDS}  {5 POOL_EMPTY_NO_CREDITS}
    {6 BALANCE_NOT_POSITIVE}  {7 CURRENCY_MISMATCH}  {10 KEYS_MISMATCH}  {14 CLOCK_SKEW, Redis time ms}
    {15 LIMIT_RATE, ms until an attempt is allowed}  {16 LIMIT_CONCURRENT, scope t/u}  {17 LIMIT_SPEND}  {18 LIMIT_CALL_CHARGE}
    {20 DIRECTORY_CHANGED}: the tenant's provisioning changed since the decision read it; nothing written
]]
--- @include "lib/int.lua"
--- @include "lib/clock.lua"
--- @include "lib/rating.lua"
--- @include "lib/hold.lua"
--- @include "lib/funding.lua"
--- @include "lib/limits.lua"

local a = cjson.decode(ARGV[1])
local rnow = redis_ms()
local sent = tonumber(a.now)
if skewed(sent, rnow, a.skew) then return { 14, int(rnow) } end
if redis.call('EXISTS', KEYS[2]) == 1 then
  local prev = redis.call('HMGET', KEYS[2], 'rid', 'st', 'T', 'hm', 'unl')
  -- The same request again (its reply was lost and the client resent it): the first result.
  if prev[1] == a.rid and prev[2] ~= 'settled' then return { 0, tonumber(prev[3]), tonumber(prev[4]), tonumber(prev[5]) } end
  return { 3 }
end
local acct = load_account(KEYS[1], a.dv ~= nil and 'dv' or nil)
if acct == nil then return { 1 } end
-- Decided on a cached directory another write has changed since: nothing written, the instance decides again on a fresh read.
if a.dv ~= nil and a.dv ~= (acct.extra or '') then return { 20 } end
if acct.cur ~= a.cur then return { 7 } end
if not pool_keys_match(ARGV[4]) then return { 10 } end
if a.pos == 1 and acct.bal <= -acct.lim then return { 6 } end

-- Rule 28, in the same step as the hold: attempts per second, then live calls.
local lm = a.lm
local usr = a.usr or ''
if lm ~= nil then
  if lm.ar ~= nil then
    local tokens, at = tonumber(redis.call('HGET', KEYS[9], 'tb') or lm.ar), tonumber(redis.call('HGET', KEYS[9], 'tt') or rnow)
    tokens = math.min(lm.ar, tokens + (rnow - at) * lm.ar / 1000)
    if tokens < 1 then
      limit_notice(KEYS[7], a.tid, '', 'LIMIT_RATE', rnow)
      return { 15, math.ceil((1 - tokens) * 1000 / lm.ar) }
    end
    redis.call('HSET', KEYS[9], 'tb', tostring(tokens - 1), 'tt', int(rnow))
  end
  if lm.tc ~= nil and redis.call('ZCARD', KEYS[3]) >= lm.tc then
    limit_notice(KEYS[7], a.tid, '', 'LIMIT_CONCURRENT', rnow)
    return { 16, 't' }
  end
  if lm.uc ~= nil and usr ~= '' and tonumber(redis.call('HGET', KEYS[9], 'ul:' .. usr) or '0') >= lm.uc then
    limit_notice(KEYS[7], a.tid, usr, 'LIMIT_CONCURRENT', rnow)
    return { 16, 'u' }
  end
end

local per = cjson.decode(ARGV[5])
local h = {
  n = #per, ci = 1, T = 0, hm = 0,
  pr = tonumber(a.pr), fee = tonumber(a.fee), ini = tonumber(a.ini), sub = tonumber(a.sub), step = tonumber(a.step),
  kind = {}, lab = {}, pj = {}, s = {}, e = {},
  cap = spend_cap(lm, usr, acct.held, 0, rnow),
}
local pools = load_pools()
local refs = {}
local has_credits, unlimited = false, 0
local j = 0
for i = 1, h.n do
  h.kind[i] = per[i].k
  h.lab[i] = per[i].lab
  if h.kind[i] == 'p' then
    j = j + 1
    h.pj[i] = j
    -- The pool grows when users get the plan mid-month: size comes with every hold.
    pools[j].size = per[i].size
    refs[j] = per[i].ref
  elseif h.kind[i] == 'c' then
    has_credits = true
  elseif h.kind[i] == 'f' then
    unlimited = 1
  end
end
if j ~= #pools then return { 10 } end

fund_until(h, slice_target(h, a.slice), acct, pools)
if h.T == 0 then
  -- Money was there but a limit held it back: refused for the limit, not for funds.
  if has_credits and h.cap ~= nil and h.cap < acct.bal + acct.lim - acct.held then
    local code = 'LIMIT_SPEND'
    if lm.mc ~= nil and h.cap >= lm.mc then code = 'LIMIT_CALL_CHARGE' end
    limit_notice(KEYS[7], a.tid, '', code, rnow)
    if code == 'LIMIT_SPEND' then return { 17 } end
    return { 18 }
  end
  if has_credits then return { 4 } end
  return { 5 }
end

local lease = rnow + a.lease
-- Printed once: the hold, both lease indexes and the first confirmed time carry it. The fields are
-- built by index, not table.insert (a library call each).
local t_lease = int(lease)
local fields = {
  'st', 'held', 'cid', a.cid, 'tid', a.tid, 'rid', a.rid, 'dm', a.dm, 'cur', a.cur, 'step', a.step,
  'pr', a.pr, 'fee', a.fee, 'ini', a.ini, 'sub', a.sub, 'n', idx(h.n),
  't0', a.now, 'ans', '', 'conf', a.now, 'lease', t_lease, 'lg', a.lg,
  'uid', a.uid, 'draft', ARGV[2], 'srcj', ARGV[3], 'pks', ARGV[4], 'unl', unlimited == 1 and '1' or '0',
  'usr', usr, 'lm', lm and cjson.encode(lm) or '',
}
local nf = #fields
if a.bands then fields[nf + 1] = 'bands'; fields[nf + 2] = a.bands; nf = nf + 2 end
for i = 1, h.n do
  fields[nf + 1] = source_field('k', i); fields[nf + 2] = h.kind[i]
  fields[nf + 3] = source_field('lab', i); fields[nf + 4] = h.lab[i]
  nf = nf + 4
  if h.pj[i] ~= nil then fields[nf + 1] = source_field('pj', i); fields[nf + 2] = idx(h.pj[i]); nf = nf + 2 end
end
append_funding_fields(h, fields)
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('ZADD', KEYS[3], t_lease, a.cid)
redis.call('ZADD', KEYS[6], t_lease, a.dm)
redis.call('HSET', KEYS[1], 'held', int(acct.held))
if usr ~= '' and lm ~= nil then
  redis.call('HINCRBY', KEYS[9], 'ul:' .. usr, 1)
  redis.call('HINCRBY', KEYS[9], 'uhm:' .. usr, int(h.hm))
  redis.call('HSET', KEYS[2], 'ulc', '1')
  redis.call('PEXPIRE', KEYS[9], '172800000') -- two days
end
save_pools(pools)
for jj = 1, #pools do
  redis.call('PEXPIRE', KEYS[POOL_KEY_BASE + jj], a.ttl)
  redis.call('HSET', KEYS[5], KEYS[POOL_KEY_BASE + jj], refs[jj])
end
return { 0, h.T, h.hm, unlimited }
