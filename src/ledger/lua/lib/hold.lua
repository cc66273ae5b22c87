--[[
  A call's hold as a table: its rate terms, ordered sources with the billed
  timeline segment [s, e) each one funds, and the money and pool seconds held.
  Shared by hold, extend and settle; the KEYS layout is the same in all three:
  account, hold, tenant leases, usage stream, pool registry, slot due-index,
  slot outbox, slot history, then the call's pool hashes.
]]

local POOL_KEY_BASE = 9 -- KEYS[POOL_KEY_BASE + j] is the hash of the call's j-th pool

local function num(x)
  if x == nil or x == false or x == '' then return nil end
  return tonumber(x)
end

-- The fields of a hold the scripts read, by name: its own (the first
-- HOLD_FIXED), then those of its first SPECULATIVE sources (most calls have
-- one to three; the rest are read by a second HMGET). An HGETALL would hand
-- Lua every field of the hash as two strings, the largest part of a settle's
-- cost. A literal: a script's top level runs on every call, so nothing here
-- is built by a loop.
local HOLD_FIXED = 30
local SPECULATIVE = 3
local HOLD_READ = {
  'st', 'n', 'ci', 'T', 'hm', 'pr', 'fee', 'ini', 'sub', 'step', 'ans', 'conf', 'lease',
  't0', 'answ', 'lg', 'pks', 'bands', 'cid', 'dm', 'ulc', 'usr', 'tid', 'cur', 'uid',
  'draft', 'srcj', 'wire', 'lm', 'unl',
  'k1', 'lab1', 'pj1', 's1', 'e1', 'k2', 'lab2', 'pj2', 's2', 'e2', 'k3', 'lab3', 'pj3', 's3', 'e3',
}

-- The names of sources from..to's fields (k, lab, pj, s, e each).
local function source_names(from, to)
  local out = {}
  for i = from, to do
    local x = idx(i)
    out[#out + 1] = 'k' .. x; out[#out + 1] = 'lab' .. x; out[#out + 1] = 'pj' .. x
    out[#out + 1] = 's' .. x; out[#out + 1] = 'e' .. x
  end
  return out
end

-- The values of the named fields of a hash, by name (absent fields are absent).
local function read_fields(key, names)
  local v = redis.call('HMGET', key, unpack(names))
  local f = {}
  for i = 1, #names do
    if v[i] then f[names[i]] = v[i] end
  end
  return f
end

local function load_hold(key)
  local v = redis.call('HMGET', key, unpack(HOLD_READ))
  if not v[1] then return nil end
  -- One constructor, sized at once (a loop of assignments would grow the table field by field); absent is nil.
  local f = {
    st = v[1], n = v[2] or nil, ci = v[3] or nil, T = v[4] or nil, hm = v[5] or nil, pr = v[6] or nil,
    fee = v[7] or nil, ini = v[8] or nil, sub = v[9] or nil, step = v[10] or nil, ans = v[11] or nil,
    conf = v[12] or nil, lease = v[13] or nil, t0 = v[14] or nil, answ = v[15] or nil, lg = v[16] or nil,
    pks = v[17] or nil, bands = v[18] or nil, cid = v[19] or nil, dm = v[20] or nil, ulc = v[21] or nil,
    usr = v[22] or nil, tid = v[23] or nil, cur = v[24] or nil, uid = v[25] or nil, draft = v[26] or nil,
    srcj = v[27] or nil, wire = v[28] or nil, lm = v[29] or nil, unl = v[30] or nil,
  }
  local h = {
    f = f, st = f.st, n = tonumber(f.n), ci = tonumber(f.ci), T = tonumber(f.T), hm = tonumber(f.hm),
    pr = tonumber(f.pr), fee = tonumber(f.fee), ini = tonumber(f.ini), sub = tonumber(f.sub),
    step = tonumber(f.step), ans = num(f.ans), conf = tonumber(f.conf), lease = tonumber(f.lease),
    kind = {}, lab = {}, pj = {}, s = {}, e = {},
  }
  -- A settled record keeps its sources' fields; only a live hold needs them.
  if h.st == 'settled' or h.n == nil then return h end
  local at = HOLD_FIXED
  if h.n > SPECULATIVE then
    local more = redis.call('HMGET', key, unpack(source_names(SPECULATIVE + 1, h.n)))
    for j = 1, #more do v[at + SPECULATIVE * 5 + j] = more[j] end
  end
  for i = 1, h.n do
    h.kind[i] = v[at + 1] or nil
    h.lab[i] = v[at + 2] or nil
    h.pj[i] = num(v[at + 3])
    h.s[i] = num(v[at + 4])
    h.e[i] = num(v[at + 5])
    at = at + 5
  end
  return h
end

-- A source's field name ('k', 'lab', 'pj', 's' or 'e', then its index): for the
-- first sources the names HOLD_READ already holds, else built.
local SOURCE_FIELD = { k = 1, lab = 2, pj = 3, s = 4, e = 5 }
local function source_field(name, i)
  if i <= SPECULATIVE then return HOLD_READ[HOLD_FIXED + (i - 1) * 5 + SOURCE_FIELD[name]] end
  return name .. idx(i)
end

-- Appends the mutable funding fields to out, as HSET arguments.
local function append_funding_fields(h, out)
  local n = #out
  out[n + 1] = 'ci'; out[n + 2] = idx(h.ci); out[n + 3] = 'T'; out[n + 4] = int(h.T); out[n + 5] = 'hm'; out[n + 6] = int(h.hm)
  n = n + 6
  for i = 1, h.n do
    if h.s[i] ~= nil then
      out[n + 1] = source_field('s', i); out[n + 2] = int(h.s[i])
      out[n + 3] = source_field('e', i); out[n + 4] = int(h.e[i])
      n = n + 4
    end
  end
  return out
end

-- The pool keys passed must be the ones the hold was taken with (then `extra` more, if any).
local function pool_keys_match(pks_json, extra)
  -- A call paid from credits alone names no pool: nothing to decode.
  if pks_json == '[]' then return (extra or 0) == #KEYS - POOL_KEY_BASE end
  local pks = cjson.decode(pks_json)
  if #pks + (extra or 0) ~= #KEYS - POOL_KEY_BASE then return false end
  for j = 1, #pks do
    if pks[j] ~= KEYS[POOL_KEY_BASE + j] then return false end
  end
  return true
end

-- The account's figures; with `extra`, that field too (as acct.extra, text or nil), in the same read.
local function load_account(key, extra)
  local a
  if extra then
    a = redis.call('HMGET', key, 'cur', 'bal', 'held', 'lim', 'thr', 'ulast', 'ulag', 'rpend', extra)
  else
    a = redis.call('HMGET', key, 'cur', 'bal', 'held', 'lim', 'thr', 'ulast', 'ulag', 'rpend')
  end
  if not a[1] then return nil end
  return {
    cur = a[1], bal = tonumber(a[2]), held = tonumber(a[3]), lim = tonumber(a[4]),
    thr = num(a[5]), ulast = num(a[6]) or 0, ulag = num(a[7]) or 0, rpend = num(a[8]), extra = a[9] or nil,
  }
end

-- The call's pools, by default every pool key passed; each remembers its key.
local function load_pools(count)
  local pools = {}
  for j = 1, count or (#KEYS - POOL_KEY_BASE) do
    local key = KEYS[POOL_KEY_BASE + j]
    local p = redis.call('HMGET', key, 'size', 'used', 'held')
    pools[j] = { key = key, size = num(p[1]) or 0, used = num(p[2]) or 0, held = num(p[3]) or 0 }
  end
  return pools
end

local function save_pools(pools)
  for j = 1, #pools do
    local p = pools[j]
    redis.call('HSET', p.key, 'size', int(p.size), 'used', int(p.used), 'held', int(p.held))
  end
end
