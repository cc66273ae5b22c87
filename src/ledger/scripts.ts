/**
 * Loads the ledger's Lua scripts from src/ledger/lua (copied next to the
 * compiled module by the build) and registers them on an ioredis client.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';

/**
 * Script names and versions. The version is part of the command name, so old
 * and new builds sharing one Redis during a rolling deploy never mix scripts:
 * bump it whenever a script or an include it uses changes.
 */
const SCRIPT_VERSIONS = {
  hold: 1,
  answer: 1,
  extend: 2,
  settle: 1,
  top_up: 1,
  put_tenant: 2,
  delete_tenant: 1,
  put_user: 1,
  delete_user: 1,
  put_service_number: 1,
  del_if_equal: 1,
  add_usage: 1,
} as const;

export type ScriptName = keyof typeof SCRIPT_VERSIONS;
export type ScriptArg = string | number;

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));
const INCLUDE = /^--- @include "([^"]+)"\s*$/gm;

const cache = new Map<string, string>();

/** The script's source with its `--- @include "lib/x.lua"` lines replaced by those files. */
export function scriptSource(name: string): string {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const text = readFileSync(`${LUA_DIR}${name}.lua`, 'utf8').replace(INCLUDE, (_line, file: string) =>
    readFileSync(`${LUA_DIR}${file}`, 'utf8'),
  );
  cache.set(name, text);
  return text;
}

export function commandName(name: ScriptName): string {
  return `tg_${name}_v${SCRIPT_VERSIONS[name]}`;
}

type ScriptCommand = (numKeys: number, ...args: ScriptArg[]) => Promise<unknown>;

export interface ScriptRunner {
  run(name: ScriptName, keys: string[], args: ScriptArg[]): Promise<unknown[]>;
}

/** Defines every script as a command on the client (EVALSHA with an EVAL fallback). */
export function registerScripts(client: Redis | Cluster): ScriptRunner {
  for (const name of Object.keys(SCRIPT_VERSIONS) as ScriptName[]) {
    client.defineCommand(commandName(name), { lua: scriptSource(name) });
  }
  return {
    async run(name, keys, args) {
      const command = (client as unknown as Record<string, ScriptCommand>)[commandName(name)];
      if (!command) throw new Error(`script ${name} is not registered`);
      const reply = await command.call(client, keys.length, ...keys, ...args.map(argText));
      return reply as unknown[];
    },
  };
}

function argText(value: ScriptArg): string {
  if (typeof value === 'string') return value;
  if (!Number.isSafeInteger(value)) throw new RangeError(`script argument ${value} is not a safe integer`);
  return String(value);
}
