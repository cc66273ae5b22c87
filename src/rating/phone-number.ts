/**
 * Phone number normalization to E.164: SIP/tel URIs, visual separators,
 * international prefixes and national formats (libphonenumber-js, max metadata).
 */
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import { isCountryCode } from './countries.js';
import type { NumberType } from './types.js';

export type NormalizedNumber =
  | {
      ok: true;
      /** "+" and 7 to 15 digits. */
      e164: string;
      /** ISO country when libphonenumber knows it; rate rows carry a country too. */
      country?: string;
      /** libphonenumber's own opinion; an invalid but well-formed number is still rateable. */
      valid: boolean;
      /** libphonenumber's number type when it is one of ours (FIXED_LINE_OR_MOBILE gives none). */
      numberType?: NumberType;
    }
  | { ok: false; reason: string };

const E164 = /^\+[1-9]\d{6,14}$/;
const SEPARATORS = /[\s\-.()/\u00a0\u2010-\u2015]/g;

/**
 * The user part of a sip:, sips: or tel: URI (display name and angle brackets
 * allowed): `"Ann" <sip:+4420...@host;user=phone>` gives "+4420...". URI
 * parameters (";user=phone", ";phone-context=...") are dropped and %-escapes
 * decoded. Text that is no URI is returned trimmed.
 */
export function uriUserPart(raw: string): string {
  let s = raw.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    s = s.slice(lt + 1, gt < 0 ? undefined : gt).trim();
  }
  const scheme = /^(sips?|tel):/i.exec(s);
  if (!scheme) return s;
  s = s.slice(scheme[0].length);
  if (scheme[1]!.toLowerCase() !== 'tel') {
    const at = s.indexOf('@');
    s = at < 0 ? s : s.slice(0, at);
  }
  const semi = s.indexOf(';');
  if (semi >= 0) s = s.slice(0, semi);
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The dialed string without URI wrapping and visual separators ("+44 20-7946" -> "+44207946"). */
export function dialedDigits(raw: string): string {
  return uriUserPart(raw).replace(SEPARATORS, '');
}

const TYPE_MAP: Partial<Record<string, NumberType>> = {
  FIXED_LINE: 'landline',
  MOBILE: 'mobile',
  TOLL_FREE: 'toll-free',
  PREMIUM_RATE: 'premium',
};

function accept(e164: string, parsed: PhoneNumber | undefined): NormalizedNumber {
  const sameNumber = parsed?.number === e164 ? parsed : parsePhoneNumberFromString(e164);
  const valid = sameNumber?.isValid() ?? false;
  const type = valid ? sameNumber?.getType() : undefined;
  const numberType = type ? TYPE_MAP[type] : undefined;
  const country = sameNumber?.country;
  return {
    ok: true,
    e164,
    valid,
    ...(country ? { country } : {}),
    ...(numberType ? { numberType } : {}),
  };
}

/**
 * Normalizes a dialed number to E.164. Accepts "+E.164", the international
 * prefixes 00 and 011 (and the default country's own, e.g. 0011 in AU),
 * national format relative to `defaultCountry`, tel:/sip: URIs and visual
 * separators. Any "+" followed by 7 to 15 digits (first not 0) is accepted even
 * when libphonenumber calls it invalid, so the rate table decides.
 */
export function normalizeNumber(raw: string, defaultCountry?: string): NormalizedNumber {
  const dialed = dialedDigits(raw);
  if (dialed === '') return { ok: false, reason: `"${raw}" holds no phone number` };
  if (/[a-z]/i.test(dialed)) {
    return { ok: false, reason: `"${raw}" contains letters; dial digits only (e.g. +14155550100)` };
  }
  if (!/^\+?\d+$/.test(dialed)) {
    return { ok: false, reason: `"${raw}" contains characters other than digits and a leading "+"` };
  }
  if (defaultCountry !== undefined && !isCountryCode(defaultCountry)) {
    return { ok: false, reason: `"${defaultCountry}" is not an ISO 3166-1 alpha-2 country code for national numbers` };
  }
  const country = defaultCountry as CountryCode | undefined;

  let international: string | undefined;
  if (dialed.startsWith('+')) international = dialed;
  else {
    const national = country ? parsePhoneNumberFromString(dialed, country) : undefined;
    if (national?.isValid()) return accept(national.number, national);
    const nanp = country === undefined || national?.countryCallingCode === '1';
    if (dialed.startsWith('00')) international = `+${dialed.slice(2)}`;
    else if (nanp && dialed.startsWith('011')) international = `+${dialed.slice(3)}`;
    else if (national && E164.test(national.number)) return accept(national.number, national);
    else if (!country) {
      return {
        ok: false,
        reason: `"${raw}" is in national format and no country is known; give it as +<country code><number> (e.g. +442079460000)`,
      };
    }
  }
  if (international && E164.test(international)) return accept(international, undefined);
  const digits = (international ?? dialed).replace(/^\+/, '');
  if (digits.startsWith('0')) return { ok: false, reason: `"${raw}": a country code never starts with 0` };
  if (digits.length < 7) return { ok: false, reason: `"${raw}" is too short for an international number (${digits.length} digits, at least 7)` };
  if (digits.length > 15) return { ok: false, reason: `"${raw}" is too long for an international number (${digits.length} digits, at most 15)` };
  return { ok: false, reason: `"${raw}" is not a valid number for ${defaultCountry ?? 'any country'}` };
}
