/**
 * Country and calendar facts entitlement needs: which countries form one
 * domestic area (rule 3), the UTC pool month (rule 10), dialed-string digits.
 */

/** Countries billed as part of another country's domestic area (rule 3: US and Puerto Rico are one). */
const DOMESTIC_AREA: Readonly<Record<string, string>> = { PR: 'US' };

function areaOf(country: string): string {
  const upper = country.toUpperCase();
  return DOMESTIC_AREA[upper] ?? upper;
}

/** True when a destination in `destinationCountry` is domestic for a licence used in `usageCountry`. */
export function isDomestic(usageCountry: string, destinationCountry: string): boolean {
  return areaOf(usageCountry) === areaOf(destinationCountry);
}

/** The calendar month (UTC) a pool belongs to, "YYYY-MM"; pools reset on the 1st at 00:00 UTC. */
export function utcMonth(atMs: number): string {
  const d = new Date(atMs);
  if (Number.isNaN(d.getTime())) throw new RangeError(`${atMs} is not a valid time in ms`);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * The user part of a dialed string, as digits (and a leading "+"):
 * "sip:911@pbx;user=phone" -> "911", "tel:+1-555" -> "+1555".
 */
export function dialedDigits(dialed: string): string {
  let s = dialed.trim();
  s = s.replace(/^(sips?|tel):/i, '');
  s = s.split(/[@;]/, 1)[0] ?? '';
  const plus = s.startsWith('+') ? '+' : '';
  return plus + s.replace(/[^0-9]/g, '');
}
