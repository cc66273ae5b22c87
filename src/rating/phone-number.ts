/**
 * Phone number normalization to E.164: SIP/tel URIs, visual separators,
 * international prefixes and national formats (libphonenumber-js, max metadata).
 * A number already international ("+" and digits) takes a fast path that asks
 * libphonenumber nothing until its country, validity or type is read.
 */
import { getCountries, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import { inspect, type InspectOptionsStylized } from 'node:util';
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

type Accepted = Extract<NormalizedNumber, { ok: true }>;

function accept(e164: string, parsed: PhoneNumber | undefined): Accepted {
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
 * Calling code -> its country, for the codes only one country uses ("33" ->
 * FR); absent for shared codes (1, 44, 7, ...) and non-geographic ones (800).
 * libphonenumber gives exactly this country to every number of such a code,
 * valid or not (it looks at the national number only to choose among several).
 */
const SOLE_COUNTRY: ReadonlyMap<string, string> = (() => {
  const byCode = new Map<string, string[]>();
  for (const country of getCountries()) {
    const code = getCountryCallingCode(country);
    const list = byCode.get(code);
    if (list) list.push(country);
    else byCode.set(code, [country]);
  }
  return new Map([...byCode].filter(([, list]) => list.length === 1).map(([code, [country]]) => [code, country!]));
})();

/** The country of an E.164 number whose calling code has one country; undefined when that takes libphonenumber. */
function soleCountry(e164: string): string | undefined {
  // Calling codes are prefix-free: at most one of the first 1, 2 or 3 digits is one.
  return SOLE_COUNTRY.get(e164.slice(1, 2)) ?? SOLE_COUNTRY.get(e164.slice(1, 3)) ?? SOLE_COUNTRY.get(e164.slice(1, 4));
}

/** The number as libphonenumber parsed it, for a fast-path result that came from a parse (a national number) or read its country. */
const PARSED = new WeakMap<Accepted, PhoneNumber | undefined>();

/** libphonenumber's opinion (valid, country, number type) written onto a fast-path target, once. */
function fill(target: Accepted): void {
  if (Object.hasOwn(target, 'valid')) return;
  const full = accept(target.e164, PARSED.get(target));
  target.valid = full.valid;
  if (full.country !== undefined) target.country = full.country;
  if (full.numberType !== undefined) target.numberType = full.numberType;
}

/**
 * The fast path's result behaves as accept()'s object in every way it can be
 * looked at (reads, `in`, keys, JSON, spread, test matchers), but starts as
 * { ok, e164 } alone: libphonenumber parses the number (several µs, the
 * larger part of admitting a call) only when valid, numberType or keys are
 * asked for, or country when its calling code is shared. Admission reads
 * e164 and, where the rate table does not say it, country.
 */
const LAZY: ProxyHandler<Accepted> = {
  get(target, key) {
    if (key === 'e164') return target.e164;
    if (key === 'ok') return true;
    if (key === INSPECT) return undefined;
    if (key === 'country' && !Object.hasOwn(target, 'valid')) {
      if (!PARSED.has(target)) {
        const sole = soleCountry(target.e164);
        if (sole !== undefined) return sole;
        // A shared calling code: the parse names the country; validity and type wait until they are read.
        PARSED.set(target, parsePhoneNumberFromString(target.e164));
      }
      return PARSED.get(target)?.country;
    }
    if (key === 'valid' || key === 'numberType') fill(target);
    return Reflect.get(target, key);
  },
  has(target, key) {
    fill(target);
    return key !== INSPECT && Reflect.has(target, key);
  },
  ownKeys(target) {
    fill(target);
    return Reflect.ownKeys(target).filter((key) => key !== INSPECT);
  },
  getOwnPropertyDescriptor(target, key) {
    fill(target);
    return key === INSPECT ? undefined : Reflect.getOwnPropertyDescriptor(target, key);
  },
  set(target, key, value) {
    fill(target);
    return Reflect.set(target, key, value);
  },
  defineProperty(target, key, descriptor) {
    fill(target);
    return Reflect.defineProperty(target, key, descriptor);
  },
  deleteProperty(target, key) {
    fill(target);
    return Reflect.deleteProperty(target, key);
  },
};

/**
 * util.inspect (console.log) looks at a proxy's target, not through it: the
 * target answers it with the filled-in copy. Non-enumerable, and hidden by
 * the proxy's own traps, so no other look at the result sees it.
 */
const INSPECT = inspect.custom;
function inspectFilled(this: Accepted, depth: number, options: InspectOptionsStylized): string {
  fill(this);
  const { ok, e164, valid, country, numberType } = this;
  return inspect({ ok, e164, valid, ...(country !== undefined ? { country } : {}), ...(numberType !== undefined ? { numberType } : {}) }, { ...options, depth });
}

/**
 * An accepted number, libphonenumber asked only when needed: an
 * international one ("+" and 7 to 15 digits) as it came, or a national one
 * with libphonenumber's parse of it (which named its country).
 */
function acceptLazily(e164: string, parsed?: PhoneNumber): Accepted {
  const target = { ok: true, e164 } as Accepted;
  Object.defineProperty(target, INSPECT, { value: inspectFilled, configurable: true, enumerable: false, writable: true });
  if (parsed) PARSED.set(target, parsed);
  return new Proxy(target, LAZY);
}

/**
 * Normalizes a dialed number to E.164. Accepts "+E.164", the international
 * prefixes 00 and 011 (and the default country's own, e.g. 0011 in AU),
 * national format relative to `defaultCountry`, tel:/sip: URIs and visual
 * separators. Any "+" followed by 7 to 15 digits (first not 0) is accepted even
 * when libphonenumber calls it invalid, so the rate table decides.
 */
export function normalizeNumber(raw: string, defaultCountry?: string): NormalizedNumber {
  return normalize(raw, defaultCountry, acceptLazily);
}

/**
 * normalizeNumber with libphonenumber asked about every number at once, as
 * before the fast path: the reference the fast path is tested against, and
 * the baseline of bench/rate-load.ts.
 */
export function normalizeNumberEagerly(raw: string, defaultCountry?: string): NormalizedNumber {
  return normalize(raw, defaultCountry, (e164, parsed) => accept(e164, parsed));
}

/** True for "+" and 7 to 15 digits, the first not 0, and nothing else: E.164 as a SIP header usually carries it. */
function isPlainE164(raw: string): boolean {
  const n = raw.length;
  if (n < 8 || n > 16 || raw.charCodeAt(0) !== 43) return false;
  const first = raw.charCodeAt(1);
  if (first < 49 || first > 57) return false;
  for (let i = 2; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function normalize(raw: string, defaultCountry: string | undefined, acceptE164: (e164: string, parsed?: PhoneNumber) => Accepted): NormalizedNumber {
  // What the steps below would make of plain E.164, without building strings.
  if (isPlainE164(raw) && (defaultCountry === undefined || isCountryCode(defaultCountry))) return acceptE164(raw);
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
    const nanp = country === undefined || national?.countryCallingCode === '1';
    // Valid or not, a national number that cannot be read as international is accepted as its parse:
    // whether libphonenumber calls it valid (the larger part of its cost) is asked only when read.
    const mayBeInternational = dialed.startsWith('00') || (nanp && dialed.startsWith('011'));
    if (!mayBeInternational && national && E164.test(national.number)) return acceptE164(national.number, national);
    if (national?.isValid()) return accept(national.number, national);
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
  if (international && E164.test(international)) return acceptE164(international);
  const digits = (international ?? dialed).replace(/^\+/, '');
  if (digits.startsWith('0')) return { ok: false, reason: `"${raw}": a country code never starts with 0` };
  if (digits.length < 7) return { ok: false, reason: `"${raw}" is too short for an international number (${digits.length} digits, at least 7)` };
  if (digits.length > 15) return { ok: false, reason: `"${raw}" is too long for an international number (${digits.length} digits, at most 15)` };
  return { ok: false, reason: `"${raw}" is not a valid number for ${defaultCountry ?? 'any country'}` };
}
