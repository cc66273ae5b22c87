/**
 * Pure charge arithmetic of a call: billed seconds from increments, and the
 * charge in integer micros, rounded up once to the currency's minor unit.
 */
import { roundUpToMinorUnit, type Micros } from '../money.js';
import type { RateTerms } from './types.js';

/** Largest price per minute or connection fee a rate file may hold: 10,000 units. */
export const MAX_RATE_AMOUNT: Micros = 10_000_000_000;
/** Largest billing increment in a rate file: one hour. */
export const MAX_INCREMENT_SECONDS = 3600;
/**
 * Up to this many billed seconds (10 days), even the naive product
 * pricePerMinute * billedSeconds stays below 2^53 for any loadable price.
 */
export const MAX_EXACT_BILLED_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / MAX_RATE_AMOUNT);

function checkSeconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`call duration ${seconds} is not a non-negative number of seconds`);
  return Math.ceil(seconds);
}

/**
 * Seconds billed for an answered duration: 0 stays 0; otherwise at least the
 * initial increment, then whole subsequent increments (a started one counts).
 * A fractional duration counts as the next whole second.
 */
export function billedSeconds(durationSeconds: number, initialIncrement: number, subsequentIncrement: number): number {
  const d = checkSeconds(durationSeconds);
  if (d === 0) return 0;
  if (d <= initialIncrement) return initialIncrement;
  return initialIncrement + Math.ceil((d - initialIncrement) / subsequentIncrement) * subsequentIncrement;
}

/**
 * ceil(pricePerMinute * seconds / 60) without an intermediate larger than the
 * result: price = 60q + r, so the value is q*seconds + ceil(r*seconds / 60).
 */
export function priceForSeconds(pricePerMinute: Micros, seconds: number): Micros {
  const r = pricePerMinute % 60;
  const q = (pricePerMinute - r) / 60;
  const t = r * seconds;
  const rem = t % 60;
  return q * seconds + (t - rem) / 60 + (rem > 0 ? 1 : 0);
}

/**
 * The charge of an answered call, in micros:
 *
 *   billed = 0                                     if answeredSeconds = 0
 *          = initial                               if answeredSeconds <= initial
 *          = initial + ceil((answeredSeconds - initial) / subsequent) * subsequent   otherwise
 *   charge = 0                                     if billed = 0 (no connection fee either)
 *          = roundUpToMinorUnit(connectFee + ceil(pricePerMinute * billed / 60), currency)
 *
 * roundUpToMinorUnit(x) = x rounded up to a multiple of 10^(6 - minor digits)
 * (10,000 for EUR/USD, 1,000,000 for JPY, 1,000 for KWD). Every value is an
 * integer. To mirror this in Lua (doubles) exactly, compute
 * ceil(pricePerMinute * billed / 60) as q*billed + ceil(r*billed / 60) with
 * q = floor(pricePerMinute / 60), r = pricePerMinute % 60 (see priceForSeconds);
 * the naive product is also exact while billed <= MAX_EXACT_BILLED_SECONDS.
 */
export function chargeFor(terms: RateTerms, answeredSeconds: number): Micros {
  const billed = billedSeconds(answeredSeconds, terms.initialIncrement, terms.subsequentIncrement);
  if (billed === 0) return 0;
  return roundUpToMinorUnit(terms.connectFee + priceForSeconds(terms.pricePerMinute, billed), terms.currency);
}

/** What the first second of a call commits to: connection fee plus the initial increment (DOMAIN rule 18). */
export function minimumCharge(terms: RateTerms): Micros {
  return chargeFor(terms, 1);
}

/**
 * The longest answered duration, in seconds, whose charge stays within
 * `budget` (0 when not even the first increment fits). Capped at `cap`
 * seconds, which a free rate (price 0) reaches.
 */
export function affordableSeconds(terms: RateTerms, budget: Micros, cap: number = MAX_EXACT_BILLED_SECONDS): number {
  if (budget < minimumCharge(terms)) return 0;
  if (chargeFor(terms, cap) <= budget) return cap;
  // Charges only change at increment boundaries: search the count of subsequent increments.
  const { initialIncrement: first, subsequentIncrement: step } = terms;
  let lo = 0;
  let hi = Math.max(0, Math.ceil((cap - first) / step));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (chargeFor(terms, first + mid * step) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return Math.min(cap, first + lo * step);
}

/**
 * ceil(Σ price_i × seconds_i / 60) over the billed seconds [from, to) of a
 * call answered at answeredAtMs whose price per minute changes at the
 * instants of `points` (ascending; the first applies from before the call).
 * Billed second k starts at answeredAtMs + 1000 k and is priced at the band
 * in force at that instant, so a band change inside an increment splits it.
 * One rounding for the whole call (rules 22, 29): Σ q_i s_i + ceil(Σ r_i s_i / 60)
 * with price_i = 60 q_i + r_i, exact in doubles. Mirrored by banded_price in
 * src/ledger/lua/lib/rating.lua.
 */
export function bandedPrice(points: readonly (readonly [number, Micros])[], answeredAtMs: number, from: number, to: number): Micros {
  let q = 0;
  let r = 0;
  const last = points.length - 1;
  for (let i = 0; i <= last; i++) {
    const lo = i === 0 ? from : Math.max(from, Math.ceil((points[i]![0] - answeredAtMs) / 1000));
    const hi = i === last ? to : Math.min(to, Math.ceil((points[i + 1]![0] - answeredAtMs) / 1000));
    if (hi <= lo) continue;
    const p = points[i]![1];
    const pr = p % 60;
    q += ((p - pr) / 60) * (hi - lo);
    r += pr * (hi - lo);
  }
  const rem = r % 60;
  return q + (r - rem) / 60 + (rem > 0 ? 1 : 0);
}

/**
 * chargeFor for a banded rate: connection fee plus the banded price of the
 * billed seconds, rounded up once to the minor unit. Points from pricePoints().
 */
export function bandedChargeFor(terms: RateTerms, points: readonly (readonly [number, Micros])[], answeredAtMs: number, answeredSeconds: number): Micros {
  const billed = billedSeconds(answeredSeconds, terms.initialIncrement, terms.subsequentIncrement);
  if (billed === 0) return 0;
  return roundUpToMinorUnit(terms.connectFee + bandedPrice(points, answeredAtMs, 0, billed), terms.currency);
}
