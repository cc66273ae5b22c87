--[[
  Redis server time: the one clock every instance shares. Leases, recovery
  eligibility and stream ids are judged on it; a time an instance passes
  (its call timeline) is accepted only within the configured skew of it.
]]

local function redis_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- True when an instance's "now" is further than skew ms from Redis time.
local function skewed(sent, now, skew)
  return math.abs(sent - now) > skew
end
