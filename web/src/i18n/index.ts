/** The message catalog: English and Simplified Chinese, chosen by the browser or the switch (kept in localStorage). */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en, type MessageKey } from './en.js';
import { zhCN } from './zh-CN.js';

export type Locale = 'en' | 'zh-CN';
export const LOCALES: ReadonlyArray<{ id: Locale; name: string }> = [
  { id: 'en', name: 'English' },
  { id: 'zh-CN', name: '简体中文' },
];
const CATALOGS: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };
const STORE = 'tollgate.locale';

export function initialLocale(): Locale {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORE) : null;
  if (saved === 'en' || saved === 'zh-CN') return saved;
  const langs = typeof navigator !== 'undefined' ? navigator.languages ?? [navigator.language] : [];
  return langs.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

export function saveLocale(l: Locale): void {
  localStorage.setItem(STORE, l);
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const catalog = CATALOGS[locale];
  return (key, params) => {
    const text = catalog[key] ?? en[key];
    return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
  };
}

export const I18n = createContext<{ t: Translate; locale: Locale }>({ t: translator('en'), locale: 'en' });
export const useT = () => useContext(I18n);
export type { MessageKey };
