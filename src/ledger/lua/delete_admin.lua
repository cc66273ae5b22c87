--[[
  delete_admin: removes a tenant admin account; its sessions stop working at
  once (a session is valid only while its account's epoch matches).

  KEYS[1] admin account hash   KEYS[2] set of the tenant's admin ids
  ARGV[1] admin id

  Returns
    {0 OK, deleted 1/0}
]]
local n = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return { 0, n }
