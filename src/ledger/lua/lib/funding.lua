--[[
  Funding a call's answered seconds slice by slice across its ordered sources
  (rules 9, 12, 18, 20). Funded time always ends on a billing boundary, so a
  pool's held seconds are exactly the billed seconds it may have to pay and
  credits hold exactly the charge of the longest duration they fund.
]]

-- The billing boundary a slice funds up to: sliceSeconds ahead, but at least
-- the next boundary (an increment longer than a slice is funded whole).
local function slice_target(h, slice)
  local f = last_boundary(h.T, h.T + slice, h.ini, h.sub)
  if f == h.T then f = next_boundary(h.T, h.ini, h.sub) end
  return f
end

-- The last boundary in (T, target] whose credit cost fits the budget, or T.
local function credit_reach(h, cs, target, budget)
  local with_fee = (cs == 0)
  local first = next_boundary(h.T, h.ini, h.sub)
  if first > target or credit_cost(first - cs, with_fee, h.pr, h.fee, h.step) > budget then
    return h.T, h.hm
  end
  local lo, hi = 0, math.floor((target - first) / h.sub)
  while lo < hi do
    local mid = math.ceil((lo + hi) / 2)
    if credit_cost(first + mid * h.sub - cs, with_fee, h.pr, h.fee, h.step) <= budget then lo = mid else hi = mid - 1 end
  end
  local f = first + lo * h.sub
  return f, credit_cost(f - cs, with_fee, h.pr, h.fee, h.step)
end

-- Funds answered time up to target from the current source onward, moving
-- past a source that cannot fund the whole of it (a pool running dry hands
-- over to credits, rule 12); the last source is never passed, so a later
-- top-up can still fund the call. Mutates h, acct and pools in memory.
local function fund_until(h, target, acct, pools)
  while h.T < target do
    local i = h.ci
    local kind = h.kind[i]
    local before = h.T
    if kind == 'f' then
      h.T = target
    elseif kind == 'p' then
      local pool = pools[h.pj[i]]
      local avail = math.max(0, pool.size - pool.used - pool.held)
      local f = last_boundary(h.T, math.min(target, h.T + avail), h.ini, h.sub)
      pool.held = pool.held + (f - h.T)
      h.T = f
    else
      local cs = h.s[i] or h.T
      local budget = acct.bal + acct.lim - acct.held + h.hm
      -- A spend limit or the most one call may cost (rule 28) caps what the call may hold.
      if h.cap ~= nil and h.cap < budget then budget = h.cap end
      local f, cost = credit_reach(h, cs, target, budget)
      acct.held = acct.held + (cost - h.hm)
      h.hm = cost
      h.T = f
    end
    if h.T > before then
      if h.s[i] == nil then h.s[i] = before end
      h.e[i] = h.T
    end
    if h.T < target then
      if i >= h.n then break end
      h.ci = i + 1
    end
  end
end
