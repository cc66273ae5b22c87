--[[
  put_tenant: creates or updates a tenant record and the money terms its
  account scripts read; a new account starts at balance 0. The currency of
  an account that holds money or has live holds cannot change: a live hold
  keeps its rate terms in the old currency, even one that holds no money yet.

  KEYS[1] tenant record (JSON string)   KEYS[2] account hash (and its directory version, lib/directory.lua)   KEYS[3] leases zset
  ARGV[1] tenant JSON   ARGV[2] currency   ARGV[3] minor-unit step micros
  ARGV[4] credit limit micros   ARGV[5] auto-recharge threshold micros ('' = none)

  Returns
    {0 OK, created 1/0}
    {12 CURRENCY_LOCKED}
]]
--- @include "lib/directory.lua"

local a = redis.call('HMGET', KEYS[2], 'cur', 'bal', 'held')
if a[1] and a[1] ~= ARGV[2] and (tonumber(a[2]) ~= 0 or tonumber(a[3]) ~= 0 or redis.call('ZCARD', KEYS[3]) > 0) then
  return { 12 }
end
local created = 0
if redis.call('EXISTS', KEYS[1]) == 0 then created = 1 end
redis.call('SET', KEYS[1], ARGV[1])
bump_directory(KEYS[2])
redis.call('HSET', KEYS[2], 'cur', ARGV[2], 'step', ARGV[3], 'lim', ARGV[4])
redis.call('HSETNX', KEYS[2], 'bal', '0')
redis.call('HSETNX', KEYS[2], 'held', '0')
if ARGV[5] == '' then
  redis.call('HDEL', KEYS[2], 'thr')
else
  redis.call('HSET', KEYS[2], 'thr', ARGV[5])
end
return { 0, created }
