--[[
  delete_tenant: removes a tenant with everything kept under its hash tag
  (record, account, users, counts, service numbers, top-up references,
  usage records, pools). Refused while the tenant has live holds.

  KEYS[1] tenant record   KEYS[2] account   KEYS[3] users   KEYS[4] counts   KEYS[5] service numbers
  KEYS[6] leases   KEYS[7] top-ups   KEYS[8] usage stream   KEYS[9] pool registry
  KEYS[10..] every pool hash the registry names
  ARGV: none

  Returns
    {0 OK, deleted 1/0, {user number, user id, ...}, {service numbers}}
    {10 KEYS_MISMATCH}  {13 TENANT_BUSY}
]]
if redis.call('ZCARD', KEYS[6]) > 0 then return { 13 } end
if redis.call('HLEN', KEYS[9]) ~= #KEYS - 9 then return { 10 } end
for j = 10, #KEYS do
  if redis.call('HEXISTS', KEYS[9], KEYS[j]) == 0 then return { 10 } end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0, 0, {}, {} } end
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
for j = 1, #KEYS do redis.call('DEL', KEYS[j]) end
return { 0, 1, user_numbers, service_numbers }
