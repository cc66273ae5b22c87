/**
 * The Lua scripts' headers are their documentation: each lists KEYS, ARGV
 * and its return codes, and every code it names matches the ScriptCode enum.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScriptCode } from '../../src/ledger/codes.js';
import { commandName, scriptSource } from '../../src/ledger/scripts.js';

const dir = new URL('../../src/ledger/lua/', import.meta.url);
const scripts = readdirSync(dir).filter((f) => f.endsWith('.lua')).map((f) => f.slice(0, -4));

describe('ledger Lua scripts', () => {
  it.each(scripts)('%s opens with a header listing KEYS, ARGV and return codes from ScriptCode', (name) => {
    const text = readFileSync(new URL(`${name}.lua`, dir), 'utf8');
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(text)?.[1];
    expect(header, `${name}.lua must open with a --[[ ... ]] comment`).toBeDefined();
    expect(header).toMatch(/KEYS\[1\]/);
    expect(header).toMatch(/ARGV/);
    expect(header).toMatch(/Returns/);
    const codes = [...header!.matchAll(/\{(\d+) ([A-Z_]+)/g)];
    expect(codes.length).toBeGreaterThan(0);
    for (const [, num, label] of codes) {
      expect(ScriptCode[Number(num)], `${name}.lua names code ${num} ${label}`).toBe(label);
    }
    // Every literal code a script returns is one its header lists.
    const listed = new Set(codes.map(([, num]) => Number(num)));
    for (const [, num] of text.matchAll(/return \{ (\d+)/g)) expect(listed.has(Number(num)), `${name}.lua returns ${num}`).toBe(true);
  });

  it('resolves includes and names each command by a hash of its text', () => {
    for (const name of scripts) expect(scriptSource(name)).not.toMatch(/@include/);
    expect(scriptSource('hold')).toMatch(/local function credit_cost/);
    expect(commandName('hold')).toMatch(/^tg_hold_[0-9a-f]{8}$/);
  });
});
