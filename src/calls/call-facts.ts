/**
 * Admission's first half: from a call setup, who pays (tenant, user or
 * organizer, service-number owner) and the normalized facts entitlement judges.
 */
import type { CallType, ServiceNumber } from '../domain.js';
import type { Ledger, PayerReadOptions, PayerSnapshot } from '../ledger/types.js';
import { isTenantId, isUserId } from '../ledger/validate.js';
import { dialedDigits, normalizeNumber, type NormalizedNumber } from '../rating/phone-number.js';
import { countryOfNormalized } from '../rating/number-country.js';
import type { RateBook } from '../rating/types.js';
import type { CallFacts, EntitledCallType } from '../entitlement/types.js';
import type { RejectCode } from '../domain.js';
import type { CallSetup } from './types.js';
import { merged } from '../objects.js';

/** Who pays and what entitlement is asked, or why the call is refused before entitlement. */
export type Admission =
  | {
      ok: true;
      payer: PayerSnapshot;
      facts: CallFacts;
      /** Inbound: the service number dialed (its target is where the call goes). */
      service?: ServiceNumber;
      /** Why the destination did not normalize, for a clearer MALFORMED_NUMBER message. */
      malformedReason?: string;
    }
  | { ok: false; code: RejectCode; message: string; callType?: CallType; /** Decided on cached directory data: decide again fresh. */ cached?: boolean };

function refuse(code: RejectCode, message: string, callType?: CallType): Admission {
  return { ok: false, code, message, callType };
}

/**
 * A number that should already be international (a caller id, a carrier's
 * called number): E.164, or digits that become E.164 with a "+".
 */
export function normalizeInternational(raw: string): NormalizedNumber {
  const first = normalizeNumber(raw);
  if (first.ok) return first;
  const digits = dialedDigits(raw);
  if (/^[1-9]\d{6,14}$/.test(digits)) {
    const plus = normalizeNumber(`+${digits}`);
    if (plus.ok) return plus;
  }
  return first;
}

function outboundType(setup: CallSetup): EntitledCallType | undefined {
  switch (setup.callType) {
    case undefined:
    case 'emergency':
      // Emergency is found from the dialed digits, not trusted from a header.
      return setup.organizerId !== undefined || setup.conferenceId !== undefined ? 'conf_out' : 'user_out';
    case 'user_out':
    case 'conf_out':
      return setup.callType;
    default:
      return undefined;
  }
}

/**
 * Ids a bridge sent that cannot name anyone (braces, spaces, garbled bytes,
 * too long): refused as unknown before the ledger sees them, since the
 * ledger's own check would make them look like an outage (503).
 */
function invalidIdentification(setup: CallSetup, type: EntitledCallType): Admission | undefined {
  if (setup.tenantId !== undefined && !isTenantId(setup.tenantId)) {
    return refuse('UNKNOWN_TENANT', `the tenant id ${JSON.stringify(setup.tenantId)} is not a valid id, so names no tenant`, type);
  }
  for (const [role, id] of [['user', setup.userId], ['organizer', setup.organizerId]] as const) {
    if (id !== undefined && !isUserId(id)) {
      return refuse('UNKNOWN_USER', `the ${role} id ${JSON.stringify(id)} is not a valid id, so names no ${role}`, type);
    }
  }
  return undefined;
}

/**
 * The user (or organizer) who pays for an outbound call: one loadPayer round
 * trip, or the caller number's index and then that one (findPayerByNumber).
 */
async function outboundPayer(
  setup: CallSetup,
  type: EntitledCallType,
  caller: NormalizedNumber | undefined,
  ledger: Ledger,
  read: PayerReadOptions,
): Promise<PayerSnapshot | Admission> {
  const tenantId = setup.tenantId;
  // A dial-out is billed to the meeting's organizer only (rule 5): a user named beside no organizer pays nothing.
  const userId = type === 'conf_out' ? setup.organizerId : setup.userId;
  const badId = invalidIdentification(setup, type);
  if (badId) return badId;
  if (userId === undefined) {
    if (type === 'conf_out') {
      return refuse('UNKNOWN_USER', 'a conference dial-out must name its organizer (organizer header); it is never billed to another user', type);
    }
    if (!setup.callerNumber || !caller) {
      return refuse('UNKNOWN_USER', 'the call names no user and carries no caller number to identify one', type);
    }
    if (!caller.ok) return refuse('UNKNOWN_USER', `caller number "${setup.callerNumber}" is not an E.164 number: ${caller.reason}`, type);
    const payer = await ledger.findPayerByNumber(caller.e164, read);
    if (!payer) return refuse('UNKNOWN_USER', `caller number ${caller.e164} is not assigned to any user`, type);
    if (tenantId !== undefined && tenantId !== payer.user.tenantId) {
      return { ...refuse('UNKNOWN_USER', `caller number ${caller.e164} belongs to a user of another tenant than ${tenantId}`, type), cached: payer.cached === true };
    }
    return payer;
  }
  if (tenantId === undefined) return refuse('UNKNOWN_TENANT', `the call names user ${userId} but no tenant (tenant header)`, type);
  const payer = await ledger.loadPayer(tenantId, userId, read);
  if (!payer) return refuse('UNKNOWN_TENANT', `tenant ${tenantId} is not provisioned`, type);
  if (!payer.user) {
    return refuse('UNKNOWN_USER', `${type === 'conf_out' ? 'organizer' : 'user'} ${userId} is not provisioned in tenant ${tenantId}`, type);
  }
  return payer;
}

async function admitOutbound(setup: CallSetup, ledger: Ledger, book: RateBook, read: PayerReadOptions): Promise<Admission> {
  const type = outboundType(setup);
  if (type === undefined) return refuse('POLICY', `call type ${setup.callType} cannot be an outbound call`);
  const caller = setup.callerNumber ? normalizeInternational(setup.callerNumber) : undefined;
  const payer = await outboundPayer(setup, type, caller, ledger, read);
  if ('ok' in payer) return payer;
  const country = payer.user?.usageCountry ?? payer.tenant.country;
  const digits = dialedDigits(setup.dialed);
  const facts: CallFacts = {
    type,
    dialed: setup.dialed,
    atMs: setup.receivedAtMs,
    ...callerFacts(caller, book, setup.receivedAtMs),
  };
  // Emergency short codes are matched as dialed, before normalization could reject or reshape them.
  if (book.isEmergency(country, digits)) {
    return { ok: true, payer, facts: merged(facts, { destinationCountry: country }) };
  }
  const dest = normalizeNumber(setup.dialed, country);
  if (!dest.ok) return { ok: true, payer, facts, malformedReason: dest.reason };
  const destinationCountry = countryOfNormalized(book, dest, setup.receivedAtMs);
  return {
    ok: true,
    payer,
    facts: merged(facts, destinationCountry ? { destination: dest.e164, destinationCountry } : { destination: dest.e164 }),
  };
}

/** The caller's number and its country, decided where every number's country is (countryOfNormalized). */
function callerFacts(caller: NormalizedNumber | undefined, book: RateBook, atMs: number): Pick<CallFacts, 'caller' | 'callerCountry'> {
  if (!caller?.ok) return {};
  const callerCountry = countryOfNormalized(book, caller, atMs);
  return { caller: caller.e164, ...(callerCountry ? { callerCountry } : {}) };
}

async function admitInbound(setup: CallSetup, ledger: Ledger, book: RateBook, read: PayerReadOptions): Promise<Admission> {
  if (setup.callType === 'user_out' || setup.callType === 'conf_out' || setup.callType === 'emergency') {
    return refuse('POLICY', `call type ${setup.callType} cannot be an inbound call`);
  }
  const dialed = normalizeInternational(setup.dialed);
  if (!dialed.ok) return refuse('UNKNOWN_NUMBER', `called number "${setup.dialed}" is not a service number: ${dialed.reason}`);
  const found = await ledger.findServicePayer(dialed.e164, read);
  if (!found) return refuse('UNKNOWN_NUMBER', `${dialed.e164} is not a provisioned service number`);
  const { service, payer } = found;
  const type: EntitledCallType = setup.callType ?? (service.service === 'conferencing' ? 'conf_in' : 'ucap_in');
  if (!payer) return refuse('UNKNOWN_TENANT', `service number ${service.number} belongs to tenant ${service.tenantId}, which is not provisioned`, type);
  const caller = setup.callerNumber ? normalizeInternational(setup.callerNumber) : undefined;
  const facts: CallFacts = {
    type,
    dialed: setup.dialed,
    destination: service.number,
    destinationCountry: countryOfNormalized(book, dialed, setup.receivedAtMs) ?? payer.tenant.country,
    serviceNumberKind: service.kind,
    atMs: setup.receivedAtMs,
    ...callerFacts(caller, book, setup.receivedAtMs),
  };
  return { ok: true, payer, facts, service };
}

/**
 * Identifies the payer and builds the call's facts; `read.fresh` skips the
 * ledger's directory cache. Ledger errors propagate (LedgerUnavailableError).
 */
export function admit(setup: CallSetup, ledger: Ledger, book: RateBook, read: PayerReadOptions = {}): Promise<Admission> {
  return setup.direction === 'inbound' ? admitInbound(setup, ledger, book, read) : admitOutbound(setup, ledger, book, read);
}
