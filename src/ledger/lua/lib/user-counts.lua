--[[
  The per-tenant counts that size minute pools: users holding each plan per
  usage country ("plan:US:DOMESTIC") and Audio Conferencing licences
  ("licence:audioConferencing"). Only user writes change them.
]]

local function count_fields(user_json)
  local out = {}
  if not user_json then return out end
  local u = cjson.decode(user_json)
  if type(u.plan) == 'string' then table.insert(out, 'plan:' .. u.usageCountry .. ':' .. u.plan) end
  if type(u.licences) == 'table' then
    for _, l in ipairs(u.licences) do
      if l == 'audioConferencing' then table.insert(out, 'licence:audioConferencing') end
    end
  end
  return out
end

local function bump(key, fields, by)
  for _, field in ipairs(fields) do
    if redis.call('HINCRBY', key, field, by) <= 0 then redis.call('HDEL', key, field) end
  end
end

local function number_of(user_json)
  if not user_json then return '' end
  local u = cjson.decode(user_json)
  if type(u.number) == 'string' then return u.number end
  return ''
end
