--[[
  The tenant's directory version: field "dv" of its account hash, changed by
  every write to the tenant record, its users (and their counts) or its
  service numbers. An instance caches the directory with the version it read;
  the hold script refuses (DIRECTORY_CHANGED) a hold decided on another
  version, so no call is ever admitted on stale provisioning. A new value is
  Redis time in microseconds (or the old value + 1), so a tenant deleted and
  created again never repeats a version an instance may still hold.
]]

local function bump_directory(account_key)
  local t = redis.call('TIME')
  local v = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local old = tonumber(redis.call('HGET', account_key, 'dv') or '0')
  if v <= old then v = old + 1 end
  redis.call('HSET', account_key, 'dv', string.format('%.0f', v))
end
