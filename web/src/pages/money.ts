import type { Translate } from '../i18n/index.js';

/** The rules of minor units, said where an amount is typed. */
export function moneyHelp(t: Translate, currency: string, digits: number): string {
  const example = digits === 0 ? '20' : `20.${'0'.repeat(digits)}`;
  return t('money.help', { currency, digits, unit: t(digits === 2 ? 'money.unit.cents' : 'money.unit.whole'), example });
}
