/**
 * The portal's colours (web/src/styles.css) meet WCAG 2.1 AA: text at least
 * 4.5:1 against the background it is drawn on, for every pairing the pages use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.js';

const css = readFileSync(join(REPO, 'web/src/styles.css'), 'utf8');
const vars = Object.fromEntries([...css.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})/g)].map((m) => [m[1]!, m[2]!]));
const colour = (c: string) => (c.startsWith('--') ? vars[c.slice(2)]! : c);

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function contrast(a: string, b: string): number {
  const [x, y] = [luminance(colour(a)), luminance(colour(b))].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

describe('portal colours (WCAG AA)', () => {
  const pairs: Array<[string, string, string]> = [
    ['body text', '--ink', '--bg'],
    ['text on cards', '--ink', '--card'],
    ['help text on cards', '--muted', '--card'],
    ['help text on the page', '--muted', '--bg'],
    ['primary buttons and the current page', '--accent-ink', '--accent'],
    ['links', '--accent', '--card'],
    ['errors', '--err', '--card'],
    ['error banners', '--err', '--err-bg'],
    ['confirmations', '--ok', '--ok-bg'],
    ['the header', '#ffffff', '#0f2740'],
    ['table heads', '--ink', '#eef2f5'],
    ['info banners', '#143d6e', '#e8f0fb'],
  ];
  it.each(pairs)('%s: at least 4.5:1', (_what, fg, bg) => {
    expect(colour(fg), fg).toMatch(/^#/);
    expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
  });
});
