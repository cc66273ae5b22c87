--[[
  put_admin: creates a tenant admin account (portal sign-in) under its tenant,
  only when the tenant exists and the account id is new.

  KEYS[1] tenant record   KEYS[2] admin account hash   KEYS[3] set of the tenant's admin ids
  ARGV[1] admin id   ARGV[2] account JSON {email, displayName, role, hash, createdAt}

  Returns
    {0 OK}
    {1 UNKNOWN_TENANT}
    {19 ADMIN_EXISTS}
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return { 1 } end
if redis.call('EXISTS', KEYS[2]) == 1 then return { 19 } end
local a = cjson.decode(ARGV[2])
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'email', a.email, 'displayName', a.displayName, 'role', a.role,
  'hash', a.hash, 'createdAt', a.createdAt, 'epoch', 1)
redis.call('SADD', KEYS[3], ARGV[1])
return { 0 }
