--[[
  put_user: creates or replaces a user and keeps the tenant's plan-holder and
  licence counts consistent with it, in one step.

  KEYS[1] tenant record   KEYS[2] users hash (user id -> JSON)   KEYS[3] counts hash
  KEYS[4] account hash (its directory version, lib/directory.lua)
  ARGV[1] user id   ARGV[2] user JSON

  Returns
    {0 OK, created 1/0, previous number or ''}
    {1 UNKNOWN_TENANT}
]]
--- @include "lib/user-counts.lua"
--- @include "lib/directory.lua"

if redis.call('EXISTS', KEYS[1]) == 0 then return { 1 } end
local old = redis.call('HGET', KEYS[2], ARGV[1])
bump(KEYS[3], count_fields(old), -1)
bump(KEYS[3], count_fields(ARGV[2]), 1)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
bump_directory(KEYS[4])
local created = 1
if old then created = 0 end
return { 0, created, number_of(old) }
