--[[
  load_payer: one consistent read of what admission needs of a tenant — its
  record, the plan and licence counts, one user and one service number —
  with the directory version they belong to (lib/directory.lua). Read only.

  KEYS[1] tenant record   KEYS[2] counts hash   KEYS[3] users hash   KEYS[4] service numbers hash   KEYS[5] account hash
  ARGV[1] user id ('' = none)   ARGV[2] service number ('' = none)

  Returns
    {0 OK, directory version ('' = never changed), tenant JSON or false, counts {field, value, ...}, user JSON or false, service JSON or false}
]]
local user, service = false, false
if ARGV[1] ~= '' then user = redis.call('HGET', KEYS[3], ARGV[1]) end
if ARGV[2] ~= '' then service = redis.call('HGET', KEYS[4], ARGV[2]) end
return {
  0,
  redis.call('HGET', KEYS[5], 'dv') or '',
  redis.call('GET', KEYS[1]),
  redis.call('HGETALL', KEYS[2]),
  user,
  service,
}
