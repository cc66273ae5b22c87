--[[
  The history outbox: every usage record and every movement of a balance is
  appended to its cluster slot's history stream in the same script step as
  the change it describes (DOMAIN rule 33); the history writer copies the
  entries into PostgreSQL and deletes them once committed.
  A journal entry carries the tenant's journal (its epoch, the Redis time of
  its first entry) and a sequence number without gaps, so a missing or
  doubled entry is visible.
]]

-- The next journal position of a tenant: {epoch, sequence}, both decimal text.
local function journal_next(account_key, rnow)
  local seq = redis.call('HINCRBY', account_key, 'jseq', '1')
  local ep = redis.call('HGET', account_key, 'jep')
  if not ep then
    ep = int(rnow)
    redis.call('HSET', account_key, 'jep', ep)
  end
  return ep, int(seq)
end

-- Appends one history entry: fields is a flat list of name, value (all text).
local function history_append(stream_key, fields)
  redis.call('XADD', stream_key, '*', 'v', '1', unpack(fields))
end
