/**
 * The ISO code lists Tollgate checks tenants, users and rate files against:
 * ISO 3166-1 alpha-2 countries and the ISO 4217 currencies one can bill in,
 * with each currency's minor unit. Kept here, not taken from the runtime's
 * Intl data, so the answer does not change with the Node/ICU build.
 */

const ISO_3166_ALPHA2 =
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO ' +
  'FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE ' +
  'JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO ' +
  'MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW ' +
  'PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM ' +
  'TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW';

/** ISO 3166-1 alpha-2, plus the codes telephone numbering uses beyond it (AC Ascension, TA Tristan da Cunha, XK Kosovo). */
const COUNTRIES: ReadonlySet<string> = new Set([...ISO_3166_ALPHA2.split(' '), 'AC', 'TA', 'XK']);

/** Codes people type for a country whose ISO code differs. */
const COUNTRY_ALIASES: Readonly<Record<string, string>> = { UK: 'GB', EL: 'GR', EN: 'GB' };

/**
 * ISO 4217 List One currencies in circulation, by minor-unit digits. Funds
 * codes (BOV, CHE, CLF, UYI, ...), precious metals, SDRs and the test codes are
 * left out: a tenant cannot be billed in them. ANG stays while it is still
 * being exchanged for XCG.
 */
const CURRENCIES_BY_DIGITS: Readonly<Record<number, string>> = {
  0: 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF',
  2:
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY ' +
    'COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS ' +
    'INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR ' +
    'MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD ' +
    'SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG',
  3: 'BHD IQD JOD KWD LYD OMR TND',
};

const MINOR_DIGITS: ReadonlyMap<string, number> = new Map(
  Object.entries(CURRENCIES_BY_DIGITS).flatMap(([digits, codes]) => codes.split(' ').map((c) => [c, Number(digits)] as const)),
);

/** Codes people type for a currency whose ISO code differs, or that ISO has withdrawn. */
const CURRENCY_ALIASES: Readonly<Record<string, string>> = {
  RMB: 'CNY', NTD: 'TWD', UKP: 'GBP', HRK: 'EUR', SLL: 'SLE', ZWL: 'ZWG', CUC: 'CUP', VEF: 'VES', BYR: 'BYN', MRO: 'MRU', STD: 'STN',
};

/** True for an upper-case ISO 3166-1 alpha-2 code (or AC, TA, XK). */
export function isCountryCode(code: string): boolean {
  return COUNTRIES.has(code);
}

/** True for an ISO 4217 currency one can bill in. */
export function isCurrencyCode(code: string): boolean {
  return MINOR_DIGITS.has(code);
}

/** Digits of the currency's minor unit (EUR 2, JPY 0, KWD 3); undefined for a code that is not one. */
export function currencyDigits(code: string): number | undefined {
  return MINOR_DIGITS.get(code);
}

/** Why a country code is refused, with a hint; undefined when it is fine. */
export function countryCodeProblem(code: string): string | undefined {
  if (isCountryCode(code)) return undefined;
  const upper = code.toUpperCase();
  const hint = COUNTRY_ALIASES[upper]
    ? `; did you mean "${COUNTRY_ALIASES[upper]}"?`
    : upper !== code && isCountryCode(upper)
      ? `; write it in capitals, "${upper}"`
      : ' (e.g. "GB", "US", "DE")';
  return `"${code}" is not an ISO 3166-1 alpha-2 country code${hint}`;
}

/** Why a currency code is refused, with a hint; undefined when it is fine. */
export function currencyCodeProblem(code: string): string | undefined {
  if (isCurrencyCode(code)) return undefined;
  const upper = code.toUpperCase();
  const hint = CURRENCY_ALIASES[upper]
    ? `; did you mean "${CURRENCY_ALIASES[upper]}"?`
    : upper !== code && isCurrencyCode(upper)
      ? `; write it in capitals, "${upper}"`
      : ' (e.g. "EUR", "USD", "GBP")';
  return `"${code}" is not an ISO 4217 currency code${hint}`;
}
