--[[
  delete_tenant: removes a tenant with everything kept under its hash tag
  (record, account, users, counts, service numbers, usage records, pools),
  and its top-up references unless told to keep them. Refused while the
  tenant has live holds; when asked, refused too while it still has money
  (balance not 0) or usage records, so nothing of value goes by mistake.

  KEYS[1] tenant record   KEYS[2] account   KEYS[3] users   KEYS[4] counts   KEYS[5] service numbers
  KEYS[6] leases   KEYS[7] top-ups   KEYS[8] usage stream   KEYS[9] pool registry
  KEYS[10..] every pool hash the registry names
  ARGV[1] "1": refuse while balance ~= 0 or usage records remain
  ARGV[2] "1": keep the top-up references (an old reference then never credits a re-created tenant)

  Returns
    {0 OK, deleted 1/0, {user number, user id, ...}, {service numbers}}
    {10 KEYS_MISMATCH}
    {13 TENANT_BUSY, live calls, balance micros, usage records, currency}
]]
local live = redis.call('ZCARD', KEYS[6])
if live > 0 then return { 13, live, 0, 0 } end
if redis.call('HLEN', KEYS[9]) ~= #KEYS - 9 then return { 10 } end
for j = 10, #KEYS do
  if redis.call('HEXISTS', KEYS[9], KEYS[j]) == 0 then return { 10 } end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0, 0, {}, {} } end
if ARGV[1] == '1' then
  local bal = tonumber(redis.call('HGET', KEYS[2], 'bal') or '0') or 0
  local usage = 0
  if redis.call('EXISTS', KEYS[8]) == 1 then usage = redis.call('XLEN', KEYS[8]) end
  if bal ~= 0 or usage > 0 then
    return { 13, 0, string.format('%.0f', bal), usage, redis.call('HGET', KEYS[2], 'cur') or '' }
  end
end
local user_numbers = {}
local users = redis.call('HGETALL', KEYS[3])
for i = 1, #users, 2 do
  local u = cjson.decode(users[i + 1])
  if type(u.number) == 'string' then
    table.insert(user_numbers, u.number)
    table.insert(user_numbers, users[i])
  end
end
local service_numbers = redis.call('HKEYS', KEYS[5])
for j = 1, #KEYS do
  if not (j == 7 and ARGV[2] == '1') then redis.call('DEL', KEYS[j]) end
end
return { 0, 1, user_numbers, service_numbers }
