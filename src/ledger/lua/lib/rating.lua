--[[
  Integer charge arithmetic, mirroring src/rating/charge.ts exactly.
  Lua numbers are doubles: every value here is an integer far below 2^53,
  and no intermediate exceeds the result (price split as 60q + r).
]]

-- Seconds billed for d answered seconds: 0 stays 0, else at least the initial
-- increment, then whole subsequent increments.
local function billed_seconds(d, ini, sub)
  if d <= 0 then return 0 end
  if d <= ini then return ini end
  return ini + math.ceil((d - ini) / sub) * sub
end

-- ceil(price * seconds / 60), exact: price = 60q + r.
local function price_for_seconds(price, seconds)
  local r = price % 60
  local q = (price - r) / 60
  local t = r * seconds
  local rem = t % 60
  local up = 0
  if rem > 0 then up = 1 end
  return q * seconds + (t - rem) / 60 + up
end

-- Rounds up to a whole minor unit of the currency (step micros).
local function round_up(amount, step)
  local rem = amount % step
  if rem == 0 then return amount end
  return amount - rem + step
end

-- What credits pay for `billed` billed seconds; the connection fee only when
-- credits fund the start of the call. Nothing billed costs nothing.
local function credit_cost(billed, with_fee, price, fee, step)
  if billed <= 0 then return 0 end
  local base = price_for_seconds(price, billed)
  if with_fee then base = base + fee end
  return round_up(base, step)
end

-- Billing boundaries of a call: 0, ini, ini + sub, ini + 2 sub, ...
local function next_boundary(t, ini, sub)
  if t == 0 then return ini end
  return t + sub
end

-- The last boundary in (t, limit], or t when there is none.
local function last_boundary(t, limit, ini, sub)
  if limit < ini then return t end
  local f = ini + math.floor((limit - ini) / sub) * sub
  if f > t then return f end
  return t
end

-- Rule 29: ceil(sum of price_i * seconds_i / 60) over the billed seconds [from, to)
-- of a call answered at ans (call time ms) whose price per minute changes at the
-- instants of points ({{at ms, price}, ...}, ascending; the first applies from
-- before the call). Billed second k starts at ans + 1000 k and takes the price
-- in force then. Mirrors bandedPrice in src/rating/charge.ts.
local function banded_price(points, ans, from, to)
  local q, r = 0, 0
  local last = #points
  for i = 1, last do
    local lo, hi = from, to
    if i > 1 then lo = math.max(from, math.ceil((points[i][1] - ans) / 1000)) end
    if i < last then hi = math.min(to, math.ceil((points[i + 1][1] - ans) / 1000)) end
    if hi > lo then
      local p = points[i][2]
      local pr = p % 60
      q = q + (p - pr) / 60 * (hi - lo)
      r = r + pr * (hi - lo)
    end
  end
  local rem = r % 60
  local up = 0
  if rem > 0 then up = 1 end
  return q + (r - rem) / 60 + up
end

-- What credits pay for billed seconds [from, to) of a banded rate, rounded up once.
local function banded_credit_cost(points, ans, from, to, with_fee, fee, step)
  if to <= from then return 0 end
  local base = banded_price(points, ans, from, to)
  if with_fee then base = base + fee end
  return round_up(base, step)
end
