--[[
  delete_service_number: removes a service number from its tenant and
  changes the tenant's directory version, in one step.

  KEYS[1] service numbers hash (E.164 -> JSON)   KEYS[2] account hash (its directory version, lib/directory.lua)
  ARGV[1] number

  Returns
    {0 OK, deleted 1/0}
]]
--- @include "lib/directory.lua"

local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if removed == 1 then bump_directory(KEYS[2]) end
return { 0, removed }
