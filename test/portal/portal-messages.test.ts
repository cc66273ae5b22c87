/**
 * The portal's message catalog: Simplified Chinese has every English key and
 * no other, no message is empty, and each keeps the {placeholders} of its
 * English original (a translation that drops one would show a blank).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../../web/src/i18n/en.js';
import { zhCN } from '../../web/src/i18n/zh-CN.js';
import { REPO } from '../support/cli.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('portal message catalog (English and Simplified Chinese)', () => {
  it('has the same keys in both languages, none empty, with the same placeholders', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      const zh = zhCN[key as keyof typeof en];
      expect(text.trim(), key).not.toBe('');
      expect(zh.trim(), key).not.toBe('');
      expect(placeholders(zh), key).toEqual(placeholders(text));
    }
  });

  it('every key a page uses is in the catalog', () => {
    const dir = join(REPO, 'web/src');
    const files = [...readdirSync(dir).map((f) => join(dir, f)), ...readdirSync(join(dir, 'pages')).map((f) => join(dir, 'pages', f))].filter((f) => /\.tsx?$/.test(f));
    const used = new Set<string>();
    for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(/\bt\('([a-zA-Z]+\.[\w.-]+)'/g)) used.add(m[1]!);
    expect(used.size).toBeGreaterThan(100);
    for (const key of used) expect(Object.keys(en), key).toContain(key);
  });
});
