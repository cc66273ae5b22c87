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

local function read_hash(key)
  local raw = redis.call('HGETALL', key)
  if #raw == 0 then return nil end
  local f = {}
  for i = 1, #raw, 2 do f[raw[i]] = raw[i + 1] end
  return f
end

local function load_hold(key)
  local f = read_hash(key)
  if f == nil then return nil end
  local h = {
    f = f, st = f.st, n = tonumber(f.n), ci = tonumber(f.ci), T = tonumber(f.T), hm = tonumber(f.hm),
    pr = tonumber(f.pr), fee = tonumber(f.fee), ini = tonumber(f.ini), sub = tonumber(f.sub),
    step = tonumber(f.step), ans = num(f.ans), conf = tonumber(f.conf), lease = tonumber(f.lease),
    kind = {}, lab = {}, pj = {}, s = {}, e = {},
  }
  for i = 1, h.n do
    h.kind[i] = f['k' .. idx(i)]
    h.lab[i] = f['lab' .. idx(i)]
    h.pj[i] = num(f['pj' .. idx(i)])
    h.s[i] = num(f['s' .. idx(i)])
    h.e[i] = num(f['e' .. idx(i)])
  end
  return h
end

-- The mutable funding fields, as HSET arguments.
local function funding_fields(h)
  local out = { 'ci', int(h.ci), 'T', int(h.T), 'hm', int(h.hm) }
  for i = 1, h.n do
    if h.s[i] ~= nil then
      table.insert(out, 's' .. idx(i)); table.insert(out, int(h.s[i]))
      table.insert(out, 'e' .. idx(i)); table.insert(out, int(h.e[i]))
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

local function load_account(key)
  local a = redis.call('HMGET', key, 'cur', 'bal', 'held', 'lim', 'thr', 'ulast', 'ulag', 'rpend')
  if not a[1] then return nil end
  return {
    cur = a[1], bal = tonumber(a[2]), held = tonumber(a[3]), lim = tonumber(a[4]),
    thr = num(a[5]), ulast = num(a[6]) or 0, ulag = num(a[7]) or 0, rpend = num(a[8]),
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
