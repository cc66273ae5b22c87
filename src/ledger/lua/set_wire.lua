--[[
  set_wire: records with a live hold what any instance needs to end the call
  on the wire; a settled or missing hold is left alone.

  KEYS[1] hold hash
  ARGV[1] wire state JSON

  Returns
    {0 OK}  {2 UNKNOWN_HOLD}  {8 HOLD_ENDED}
]]
local st = redis.call('HGET', KEYS[1], 'st')
if not st then return { 2 } end
if st == 'settled' then return { 8 } end
redis.call('HSET', KEYS[1], 'wire', ARGV[1])
return { 0 }
