/**
 * UTC offsets of IANA time zones from the platform's Intl data (rule 29):
 * what a time band needs to know of a zone, without a time-zone library.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** A problem with an IANA zone name, or undefined when Intl knows it ("Europe/London", "UTC"). */
export function timeZoneProblem(zone: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return `"${zone}" is not an IANA time zone name (e.g. Europe/London, America/New_York, UTC)`;
  try {
    formatter(zone);
    return undefined;
  } catch {
    return `"${zone}" is not a time zone this platform knows (IANA names such as Europe/London, America/New_York, UTC)`;
  }
}

/**
 * Local time minus UTC at instant utcMs, in ms (London in summer: 3,600,000).
 * Resolution is one second, as in the time-zone data.
 */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  const whole = Math.floor(utcMs / 1000) * 1000;
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const p of formatter(zone).formatToParts(whole)) {
    switch (p.type) {
      case 'year': y = Number(p.value); break;
      case 'month': mo = Number(p.value); break;
      case 'day': d = Number(p.value); break;
      case 'hour': h = Number(p.value); break;
      case 'minute': mi = Number(p.value); break;
      case 'second': s = Number(p.value); break;
      default: break;
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) - whole;
}

/**
 * The first instant in (lo, hi] whose offset differs from `offset`, the
 * offset at lo; hi's offset must differ (a transition lies between them).
 */
export function nextTransition(zone: string, lo: number, hi: number, offset: number): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zoneOffsetMs(zone, mid) === offset) lo = mid;
    else hi = mid;
  }
  return hi;
}
