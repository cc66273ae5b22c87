--[[
  del_if_equal: deletes a global index key only while it still holds the
  value its writer set, so clearing a stale entry never removes a newer one.

  KEYS[1] index key
  ARGV[1] expected value

  Returns
    {0 OK, deleted 1/0}
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return { 0, 1 }
end
return { 0, 0 }
