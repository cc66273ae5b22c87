--[[
  delete_user: removes a user and their share of the plan-holder and licence
  counts, in one step.

  KEYS[1] users hash   KEYS[2] counts hash   KEYS[3] account hash (its directory version, lib/directory.lua)
  ARGV[1] user id

  Returns
    {0 OK, deleted 1/0, previous number or ''}
]]
--- @include "lib/user-counts.lua"
--- @include "lib/directory.lua"

local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return { 0, 0, '' } end
bump(KEYS[2], count_fields(old), -1)
redis.call('HDEL', KEYS[1], ARGV[1])
bump_directory(KEYS[3])
return { 0, 1, number_of(old) }
