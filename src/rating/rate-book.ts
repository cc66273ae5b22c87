/**
 * An immutable, indexed set of rate tables (the RateBook the rest of the
 * gateway reads): outbound and toll-free longest-prefix lookups, Zone A, emergency numbers.
 */
import { highRiskPrefix } from './high-risk.js';
import { dialedDigits } from './phone-number.js';
import { PrefixIndex } from './prefix-index.js';
import type { OutboundRate, RateBook, TollFreeRate } from './types.js';

export interface RateTables {
  outbound: readonly OutboundRate[];
  tollFree: readonly TollFreeRate[];
  /** Country code -> name. */
  zoneA: ReadonlyMap<string, string>;
  /** "COUNTRY|number", "*|number" for every country. */
  emergency: ReadonlySet<string>;
  /** High-risk prefixes (rates/high-risk.csv) -> description. */
  highRisk?: ReadonlyMap<string, string>;
}

/**
 * Where the digits of "+4420..." or "4420..." start: 1 after a "+", else 0.
 * The index then refuses anything but digits from there on; an empty number
 * or one starting with 0 matches no prefix (none starts with 0), so it needs
 * no check of its own: this is the per-call hot path.
 */
function digitsStart(number: string): number {
  return number.charCodeAt(0) === 43 ? 1 : 0;
}

export class IndexedRateBook implements RateBook {
  private readonly outboundIndex: PrefixIndex<OutboundRate>;
  private readonly tollFreeByService = new Map<string, PrefixIndex<TollFreeRate>>();
  /** The digits of every emergency number, of any country. */
  private readonly emergencyDigits: ReadonlySet<string>;

  constructor(
    readonly version: string,
    readonly tables: RateTables,
  ) {
    this.outboundIndex = new PrefixIndex(tables.outbound, (r) => r.prefix);
    this.emergencyDigits = new Set([...tables.emergency].map((key) => key.slice(key.indexOf('|') + 1)));
    const groups = new Map<string, TollFreeRate[]>();
    for (const row of tables.tollFree) {
      const list = groups.get(row.serviceCountry);
      if (list) list.push(row);
      else groups.set(row.serviceCountry, [row]);
    }
    for (const [service, rows] of groups) this.tollFreeByService.set(service, new PrefixIndex(rows, (r) => r.originPrefix));
  }

  outbound(e164: string, atMs: number): OutboundRate | undefined {
    return this.outboundIndex.findRow(e164, atMs, digitsStart(e164), true);
  }

  /**
   * The longest origin prefix wins; at equal length a row for the service
   * country beats a "*" row.
   */
  tollFree(originE164: string, serviceCountry: string, atMs: number): TollFreeRate | undefined {
    const start = digitsStart(originE164);
    const exact = this.tollFreeByService.get(serviceCountry)?.find(originE164, atMs, start, true);
    const any = this.tollFreeByService.get('*')?.find(originE164, atMs, start, true);
    if (exact && (!any || exact.length >= any.length)) return exact.row;
    return any?.row;
  }

  isEmergency(country: string, dialed: string): boolean {
    const digits = dialedDigits(dialed);
    return this.tables.emergency.has(`${country}|${digits}`) || this.tables.emergency.has(`*|${digits}`);
  }

  isEmergencyAnywhere(dialed: string): boolean {
    return this.emergencyDigits.has(dialedDigits(dialed));
  }

  highRisk(e164: string): string | undefined {
    return this.tables.highRisk && this.tables.highRisk.size > 0 ? highRiskPrefix(this.tables.highRisk, e164) : undefined;
  }

  isZoneA(country: string): boolean {
    return this.tables.zoneA.has(country);
  }

  /** Distinct destination countries of the outbound table. */
  outboundCountries(): number {
    return new Set(this.tables.outbound.map((r) => r.country)).size;
  }
}
