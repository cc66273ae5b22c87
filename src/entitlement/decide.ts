/**
 * Entitlement's entry point: from the facts of a call and a snapshot of its
 * payer, the ordered funding sources or a reject (DOMAIN.md rules 1-20). Pure.
 */
import type { PayerSnapshot } from '../ledger/types.js';
import { decideInbound } from './inbound.js';
import { decideDialOut, decideUserOut } from './outbound.js';
import type { CallFacts, Entitlement, EntitlementContext } from './types.js';

/**
 * Decides who pays for a call. Every refusal is a reject with a stable code;
 * only a programming error (an unknown call type, a non-finite time) throws.
 * Balance checks are the ledger's (rules 18-20): this only orders the sources
 * and sets the flags the ledger enforces.
 */
export function decideEntitlement(call: CallFacts, payer: PayerSnapshot, ctx: EntitlementContext): Entitlement {
  switch (call.type) {
    case 'user_out':
      return decideUserOut(call, payer, ctx);
    case 'conf_out':
      return decideDialOut(call, payer, ctx);
    case 'conf_in':
    case 'ucap_in':
      return decideInbound(call, payer, ctx);
    default:
      throw new RangeError(`entitlement cannot decide call type "${String((call as { type: unknown }).type)}"`);
  }
}

export { capabilityOf } from './common.js';
export { dialedDigits, isDomestic, utcMonth } from './geography.js';
export type * from './types.js';
