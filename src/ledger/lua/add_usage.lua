--[[
  add_usage: appends the usage record of a call that moved no money (refused
  at admission, rule 27) to the tenant's usage stream, in the same time order
  settle keeps (stream ids on Redis time), and with history on to the slot's
  history stream in the same step.

  KEYS[1] account hash   KEYS[2] usage stream   KEYS[3] slot history stream
  ARGV[1] usage id   ARGV[2] usage draft JSON   ARGV[3] start ms   ARGV[4] end ms
  ARGV[5] capability   ARGV[6] end reason   ARGV[7] usage retention ms
  ARGV[8] '1': append to the history stream   ARGV[9] tenant id   ARGV[10] instance id

  Returns
    {0 OK, stream id}
    {1 UNKNOWN_TENANT}
]]
--- @include "lib/int.lua"
--- @include "lib/clock.lua"
--- @include "lib/history.lua"

local a = redis.call('HMGET', KEYS[1], 'cur', 'ulast', 'ulag')
if not a[1] then return { 1 } end
local start, ended = tonumber(ARGV[3]), tonumber(ARGV[4])
local rnow = redis_ms()
local ms = math.max(rnow, tonumber(a[2] or '0'), 0)
local min_id = math.max(0, rnow - tonumber(ARGV[7]))
local id = redis.call('XADD', KEYS[2], 'MINID', '~', int(min_id), int(ms) .. '-*',
  'u', ARGV[1], 'd', ARGV[2], 's', ARGV[3], 'e', ARGV[4], 'dur', '0', 'fee', '0', 'chg', '0', 'cap', ARGV[5], 'why', ARGV[6])
redis.call('HSET', KEYS[1], 'ulast', int(ms),
  'ulag', int(math.max(tonumber(a[3] or '0'), ms - start)))
if ARGV[8] == '1' then
  history_append(KEYS[3], { 't', ARGV[9] or '', 'cur', a[1], 'at', int(rnow), 'inst', ARGV[10] or '',
    'u', ARGV[1], 'd', ARGV[2], 's', ARGV[3], 'e', ARGV[4], 'dur', '0', 'fee', '0', 'chg', '0', 'cap', ARGV[5], 'why', ARGV[6] })
end
return { 0, id }
