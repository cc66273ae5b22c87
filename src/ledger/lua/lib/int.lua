--[[
  Integers as decimal text, for Redis arguments and replies. tostring() would
  print 1e+15; string.format('%.0f') is exact but glibc's float printer costs
  about ten times the integer one, and a call formats some sixty numbers
  across its scripts. A whole number within ±2^53 (every amount, time and
  count the ledger keeps) goes through '%d', which prints the same digits;
  anything else (a fraction, ±inf, NaN) keeps '%.0f'. Negative zero prints
  as 0.
]]

local floor, format = math.floor, string.format

local function int(x)
  if x == floor(x) and x > -9007199254740992 and x < 9007199254740992 then return format('%d', x) end
  return format('%.0f', x)
end

-- A source's index as text, for its field names (k1, s2, …): concatenating
-- the number itself would print it through the float printer every time.
local IDX = { '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16' }

local function idx(i)
  return IDX[i] or int(i)
end
