/**
 * The dry run of a rate change: re-prices recorded calls (usage records) with
 * candidate rate tables, touching no balance, and sums old and new charges per
 * tenant and per destination, with the calls that would find no rate any more.
 */
import type { UsageRecord } from '../domain.js';
import { formatMoney, roundUpToMinorUnit, type Micros } from '../money.js';
import { pricePoints } from '../rating/bands.js';
import { bandedPrice, billedSeconds, chargeFor } from '../rating/charge.js';
import { countryOfNumber } from '../rating/number-country.js';
import type { OutboundRate, RateBook, TollFreeRate } from '../rating/types.js';

/** Sums of one group (a tenant, or a destination), money in micros of its currency. */
export interface ImpactTotals {
  currency: string;
  /** Answered, billable calls looked at. */
  calls: number;
  /** Their answered seconds. */
  seconds: number;
  /** What was charged (as recorded). */
  oldCharge: Micros;
  /** What the candidate tables would charge (0 for a call they have no rate for: it would be refused). */
  newCharge: Micros;
  /** Calls the candidate tables have no rate for (or block as premium): they would be refused. */
  noRate: number;
  /** What those calls were charged. */
  noRateOldCharge: Micros;
  /** Calls paid partly by a minute pool and partly by credits: the split is not on the record, so their old charge is kept. */
  partlyPool: number;
}

export interface TenantImpact extends ImpactTotals {
  tenantId: string;
}

export interface DestinationImpact extends ImpactTotals {
  /** Destination name of the candidate row (or, with no rate, country and number type of the record). */
  destination: string;
  /** Matched prefix of the candidate row ('' with no rate). */
  prefix: string;
  kind: 'outbound' | 'toll-free';
}

export interface ImpactReport {
  rateVersion: string;
  fromMs: number;
  toMs: number;
  /** Records read, and those left out: unanswered, or never charged (emergency, toll inbound). */
  records: number;
  unanswered: number;
  unrated: number;
  tenants: TenantImpact[];
  destinations: DestinationImpact[];
}

function emptyTotals(currency: string): ImpactTotals {
  return { currency, calls: 0, seconds: 0, oldCharge: 0, newCharge: 0, noRate: 0, noRateOldCharge: 0, partlyPool: 0 };
}

/** Charge of a whole credit-paid call at a rate, banded rates per segment from the recorded answer (its start time). */
export function repriceCall(rate: OutboundRate | TollFreeRate, record: UsageRecord): Micros {
  if (!rate.bands) return chargeFor(rate, record.durationSeconds);
  const billed = billedSeconds(record.durationSeconds, rate.initialIncrement, rate.subsequentIncrement);
  if (billed === 0) return 0;
  const points = pricePoints(rate.bands, record.startTime, record.startTime + billed * 1000 + 1000);
  return roundUpToMinorUnit(rate.connectFee + bandedPrice(points, record.startTime, 0, billed), rate.currency);
}

/**
 * Accumulates records one at a time (constant memory per group), so a
 * month of calls streams through from Redis or PostgreSQL.
 */
export class RateImpact {
  private readonly tenants = new Map<string, TenantImpact>();
  private readonly destinations = new Map<string, DestinationImpact>();
  private records = 0;
  private unanswered = 0;
  private unrated = 0;

  constructor(
    private readonly book: RateBook,
    private readonly fromMs: number,
    private readonly toMs: number,
  ) {}

  add(r: UsageRecord): void {
    this.records++;
    if (r.durationSeconds <= 0) {
      this.unanswered++;
      return;
    }
    const tollFree = (r.callType === 'conf_in' || r.callType === 'ucap_in') && r.numberType === 'toll-free';
    if (!tollFree && r.callType !== 'user_out' && r.callType !== 'conf_out') {
      this.unrated++; // emergency and toll inbound: never charged, whatever the tables say
      return;
    }
    let rate: OutboundRate | TollFreeRate | undefined;
    let destination: string;
    let prefix = '';
    if (tollFree) {
      const service = countryOfNumber(this.book, r.destinationNumber, r.startTime);
      const row = r.callerId && service ? this.book.tollFree(r.callerId, service, r.startTime) : undefined;
      rate = row;
      destination = row ? `toll-free from ${row.originCountry}` : `toll-free from ${r.externalCountry ?? 'unknown origin'} (no rate)`;
      prefix = row?.originPrefix ?? '';
    } else {
      const row = this.book.outbound(r.destinationNumber, r.startTime);
      rate = row && (row.numberType !== 'premium' || row.premiumAllowed) ? row : undefined;
      destination = rate ? row!.destination : `${r.externalCountry ?? '??'} ${r.numberType ?? 'number'} (no rate)`;
      prefix = rate ? row!.prefix : '';
    }
    if (rate && rate.currency !== r.currency) rate = undefined;
    const kind = tollFree ? 'toll-free' : 'outbound';
    const key = `${r.currency}|${kind}|${prefix}|${destination}`;
    let d = this.destinations.get(key);
    if (!d) this.destinations.set(key, (d = { ...emptyTotals(r.currency), destination, prefix, kind }));
    const tkey = `${r.tenantId}|${r.currency}`;
    let t = this.tenants.get(tkey);
    if (!t) this.tenants.set(tkey, (t = { ...emptyTotals(r.currency), tenantId: r.tenantId }));

    let next: Micros;
    const labels = r.capability.split('+');
    const credits = labels.includes('credits');
    let partly = 0;
    if (!rate) next = 0;
    else if (!credits) next = r.charge; // pool minutes or free: no money either way
    else if (labels.length > 1) {
      next = r.charge;
      partly = 1;
    } else next = repriceCall(rate, r);
    for (const g of [t, d]) {
      g.calls++;
      g.seconds += r.durationSeconds;
      g.oldCharge += r.charge;
      g.newCharge += next;
      g.partlyPool += partly;
      if (!rate) {
        g.noRate++;
        g.noRateOldCharge += r.charge;
      }
    }
  }

  report(): ImpactReport {
    const byDelta = (a: ImpactTotals, b: ImpactTotals) => Math.abs(b.newCharge - b.oldCharge) - Math.abs(a.newCharge - a.oldCharge);
    return {
      rateVersion: this.book.version,
      fromMs: this.fromMs,
      toMs: this.toMs,
      records: this.records,
      unanswered: this.unanswered,
      unrated: this.unrated,
      tenants: [...this.tenants.values()].sort((a, b) => a.tenantId.localeCompare(b.tenantId) || a.currency.localeCompare(b.currency)),
      destinations: [...this.destinations.values()].sort((a, b) => byDelta(a, b) || a.destination.localeCompare(b.destination)),
    };
  }
}

/** Re-prices every record of `records` (any async source: the ledger's usage stream, PostgreSQL). */
export async function rateImpact(book: RateBook, fromMs: number, toMs: number, sources: Iterable<AsyncIterable<UsageRecord> | Iterable<UsageRecord>>): Promise<ImpactReport> {
  const impact = new RateImpact(book, fromMs, toMs);
  for (const source of sources) for await (const r of source) impact.add(r);
  return impact.report();
}

/** A totals row as JSON/CSV text: money as decimal strings in the currency, minutes to the hundredth. */
function viewTotals(g: ImpactTotals) {
  const m = (x: Micros) => formatMoney(x, g.currency);
  return {
    currency: g.currency, calls: g.calls, minutes: (g.seconds / 60).toFixed(2),
    oldCharge: m(g.oldCharge), newCharge: m(g.newCharge), delta: m(g.newCharge - g.oldCharge),
    noRate: g.noRate, noRateOldCharge: m(g.noRateOldCharge), partlyPool: g.partlyPool,
  };
}

/** The report with money as decimal text: the body of POST /v1/rates/impact and `rates impact --json`. */
export function impactView(r: ImpactReport) {
  return {
    rateVersion: r.rateVersion,
    from: new Date(r.fromMs).toISOString(),
    to: new Date(r.toMs).toISOString(),
    records: r.records,
    unanswered: r.unanswered,
    unrated: r.unrated,
    tenants: r.tenants.map((t) => ({ tenantId: t.tenantId, ...viewTotals(t) })),
    destinations: r.destinations.map((d) => ({ kind: d.kind, destination: d.destination, prefix: d.prefix, ...viewTotals(d) })),
  };
}

export type ImpactView = ReturnType<typeof impactView>;

const csvCell = (v: string | number) => (/[",\n\r]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

/** RFC 4180 CSV: one row per tenant, then one per destination, told apart by the first column. */
export function impactCsv(r: ImpactReport): string {
  const head = ['scope', 'tenant', 'kind', 'destination', 'prefix', 'currency', 'calls', 'minutes', 'old_charge', 'new_charge', 'delta', 'no_rate', 'no_rate_old_charge', 'partly_pool'];
  const row = (scope: string, tenant: string, kind: string, destination: string, prefix: string, g: ImpactTotals) => {
    const v = viewTotals(g);
    return [scope, tenant, kind, destination, prefix, v.currency, v.calls, v.minutes, v.oldCharge, v.newCharge, v.delta, v.noRate, v.noRateOldCharge, v.partlyPool].map(csvCell).join(',');
  };
  return [
    head.join(','),
    ...r.tenants.map((t) => row('tenant', t.tenantId, '', '', '', t)),
    ...r.destinations.map((d) => row('destination', '', d.kind, d.destination, d.prefix, d)),
  ].join('\r\n') + '\r\n';
}

/** A plain-text table for the terminal. */
export function impactTable(r: ImpactReport): string {
  const lines: string[] = [];
  lines.push(`rate impact of version ${r.rateVersion} on calls started in [${new Date(r.fromMs).toISOString()}, ${new Date(r.toMs).toISOString()})`);
  lines.push(`${r.records} records: ${r.records - r.unanswered - r.unrated} re-priced, ${r.unanswered} unanswered, ${r.unrated} never charged (emergency, toll inbound)`);
  const table = (title: string, name: string, rows: Array<{ label: string; g: ImpactTotals }>) => {
    lines.push('', title);
    const cells = rows.map(({ label, g }) => {
      const v = viewTotals(g);
      return [label, v.currency, String(v.calls), v.minutes, v.oldCharge, v.newCharge, v.delta, String(v.noRate), String(v.partlyPool)];
    });
    const head = [name, 'cur', 'calls', 'minutes', 'old', 'new', 'delta', 'no rate', 'part pool'];
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const fmt = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
    lines.push(fmt(head));
    for (const c of cells) lines.push(fmt(c));
    if (rows.length === 0) lines.push('(no calls)');
  };
  table('per tenant', 'tenant', r.tenants.map((g) => ({ label: g.tenantId, g })));
  table('per destination', 'destination', r.destinations.map((g) => ({ label: `${g.destination}${g.prefix ? ` (${g.prefix})` : ''}`, g })));
  const lost = r.destinations.filter((d) => d.noRate > 0);
  if (lost.length > 0) {
    lines.push('', 'calls with no rate any more (they would be refused NO_RATE):');
    for (const d of lost) lines.push(`  ${d.destination}: ${d.noRate} call(s), ${formatMoney(d.noRateOldCharge, d.currency)} ${d.currency} charged before`);
  }
  return `${lines.join('\n')}\n`;
}

/** Where recorded calls are read: the history store (PostgreSQL) when configured, else the ledger's usage streams. */
export interface RecordedUsage {
  usage(tenantId: string, fromMs: number, toMs: number): AsyncIterable<UsageRecord>;
}

/** Re-prices the recorded calls of `tenants` over [fromMs, toMs) with a candidate book; reads only. */
export async function impactOfRecorded(book: RateBook, recorded: RecordedUsage, tenants: readonly string[], fromMs: number, toMs: number): Promise<ImpactReport> {
  return rateImpact(book, fromMs, toMs, tenants.map((t) => recorded.usage(t, fromMs, toMs)));
}
