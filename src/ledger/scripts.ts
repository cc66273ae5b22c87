/**
 * Loads the ledger's Lua scripts from src/ledger/lua (copied next to the
 * compiled module by the build) and registers them on an ioredis client.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';

/**
 * The scripts. On Redis a script is known by the SHA1 of its text (ioredis
 * runs EVALSHA), so old and new builds sharing one Redis during a rolling
 * deploy never mix scripts whatever the client-side command is called; the
 * command name carries a short hash of the text only to keep two versions
 * apart within one process (tests load both).
 */
const SCRIPT_NAMES = [
  'hold',
  'answer',
  'extend',
  'settle',
  'top_up',
  'put_tenant',
  'delete_tenant',
  'put_user',
  'delete_user',
  'put_service_number',
  'del_if_equal',
  'add_usage',
  'expired_leases',
  'set_wire',
  'zrem_if_older',
  'load_payer',
  'delete_service_number',
  'renew',
  'put_admin',
  'delete_admin',
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];
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

const names = new Map<string, string>();

/** The client-side command name: the script's name and the first 8 hex digits of its SHA1 (computed once per script). */
export function commandName(name: ScriptName): string {
  let command = names.get(name);
  if (command === undefined) {
    const sha = createHash('sha1').update(scriptSource(name)).digest('hex');
    command = `tg_${name}_${sha.slice(0, 8)}`;
    names.set(name, command);
  }
  return command;
}

type ScriptCommand = (numKeys: number, ...args: ScriptArg[]) => Promise<unknown>;

export interface ScriptRunner {
  run(name: ScriptName, keys: string[], args: ScriptArg[]): Promise<unknown[]>;
}

/** Defines every script as a command on the client (EVALSHA with an EVAL fallback). */
export function registerScripts(client: Redis | Cluster): ScriptRunner {
  for (const name of SCRIPT_NAMES) {
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
