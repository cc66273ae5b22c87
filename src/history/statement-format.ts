/**
 * A monthly statement as the API and `tollgate statement` give it: JSON with
 * money as decimal text, or CSV (RFC 4180, as the usage report).
 */
import { formatMoney } from '../money.js';
import { csvLine, UTF8_BOM } from '../usage/csv.js';
import type { Statement } from './store.js';

export function statementView(s: Statement) {
  const m = (micros: number) => formatMoney(micros, s.currency);
  const line = (l: { count: number; amount: number }) => ({ count: l.count, amount: m(l.amount) });
  return {
    tenantId: s.tenantId,
    month: s.month,
    currency: s.currency,
    openingBalance: m(s.opening),
    topUps: line(s.topUps),
    recharges: line(s.recharges),
    adjustments: line(s.adjustments),
    charges: s.charges.map((c) => ({ capability: c.capability, callType: c.callType, count: c.count, amount: m(c.amount) })),
    totalCharges: line(s.totalCharges),
    closingBalance: m(s.closing),
  };
}

export type StatementView = ReturnType<typeof statementView>;

export function statementCsv(s: Statement): string {
  const m = (micros: number) => formatMoney(micros, s.currency);
  const lines = [
    UTF8_BOM + csvLine(['Tenant', 'Month', 'Section', 'Capability', 'Call Type', 'Count', 'Amount', 'Currency']),
    csvLine([s.tenantId, s.month, 'Opening balance', '', '', '', m(s.opening), s.currency]),
    csvLine([s.tenantId, s.month, 'Top-ups', '', '', String(s.topUps.count), m(s.topUps.amount), s.currency]),
    csvLine([s.tenantId, s.month, 'Recharges', '', '', String(s.recharges.count), m(s.recharges.amount), s.currency]),
    csvLine([s.tenantId, s.month, 'Adjustments', '', '', String(s.adjustments.count), m(s.adjustments.amount), s.currency]),
    ...s.charges.map((c) => csvLine([s.tenantId, s.month, 'Charges', c.capability, c.callType, String(c.count), m(c.amount), s.currency])),
    csvLine([s.tenantId, s.month, 'Total charges', '', '', String(s.totalCharges.count), m(s.totalCharges.amount), s.currency]),
    csvLine([s.tenantId, s.month, 'Closing balance', '', '', '', m(s.closing), s.currency]),
  ];
  return lines.join('');
}
