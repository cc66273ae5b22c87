--[[
  zrem_if_older: removes a member from a sorted set only if its score is at
  most the one given (nobody registered it again since it was read).

  KEYS[1] sorted set
  ARGV[1] member   ARGV[2] largest score to remove

  Returns
    {0 OK, removed 1/0}
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return { 0, 1 }
end
return { 0, 0 }
