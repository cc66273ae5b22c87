--[[
  put_service_number: records a service number under its tenant, only when
  the tenant exists.

  KEYS[1] tenant record   KEYS[2] service numbers hash (E.164 -> JSON)
  KEYS[3] account hash (its directory version, lib/directory.lua)
  ARGV[1] number   ARGV[2] service number JSON

  Returns
    {0 OK, created 1/0}
    {1 UNKNOWN_TENANT}
]]
--- @include "lib/directory.lua"

if redis.call('EXISTS', KEYS[1]) == 0 then return { 1 } end
local created = redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
bump_directory(KEYS[3])
return { 0, created }
