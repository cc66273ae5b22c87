/**
 * Loads the config file, applies environment overrides and validates the
 * result. A bad value stops start-up with one line per problem.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/tollgate.yaml';

export class ConfigError extends Error {
  readonly code = 'BAD_CONFIG';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Environment variables and the config key each one overrides. */
const ENV_OVERRIDES: ReadonlyArray<[string, string[], 'string' | 'int' | 'bool' | 'evapi']> = [
  ['REDIS_URL', ['redis', 'url'], 'string'],
  ['TOLLGATE_ADMIN_TOKEN', ['http', 'adminToken'], 'string'],
  ['TOLLGATE_HTTP_PORT', ['http', 'port'], 'int'],
  ['TOLLGATE_HTTP_HOST', ['http', 'host'], 'string'],
  ['TOLLGATE_DRACHTIO_HOST', ['drachtio', 'host'], 'string'],
  ['TOLLGATE_DRACHTIO_PORT', ['drachtio', 'port'], 'int'],
  ['TOLLGATE_DRACHTIO_SECRET', ['drachtio', 'secret'], 'string'],
  ['TOLLGATE_CONTROL_TOKEN', ['kamailio', 'controlToken'], 'string'],
  ['TOLLGATE_KAMAILIO_RPC_URL', ['kamailio', 'rpcUrl'], 'string'],
  ['TOLLGATE_KAMAILIO_EVAPI', ['kamailio', 'evapi'], 'evapi'],
  ['TOLLGATE_POSTGRES_URL', ['postgres', 'url'], 'string'],
  ['TOLLGATE_RATES_DIR', ['rates', 'dir'], 'string'],
  ['TOLLGATE_LOG_LEVEL', ['log', 'level'], 'string'],
  ['TOLLGATE_LOG_PRETTY', ['log', 'pretty'], 'bool'],
];

/** The variables `tollgate --help` lists: each override, and the config file's own. */
export const ENVIRONMENT_VARIABLES: ReadonlyArray<[string, string]> = [
  ['TOLLGATE_CONFIG', `the config file (default ${DEFAULT_CONFIG_PATH})`],
  ...ENV_OVERRIDES.map(([name, path]): [string, string] => [name, `overrides ${path.join('.')}`]),
];

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let node = obj;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** sip.peers[0].addresses[1]: the path style provisioning errors use too. */
function pathText(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length > 0 ? pathText(issue.path) : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${key}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling against the README`;
  }
  return `${key}: ${issue.message}`;
}

/**
 * Relative paths written in the file (rates.dir, and its default "rates")
 * resolve from the file's directory, so a command means the same files from
 * any working directory; paths from the environment stay as given.
 */
function resolveFilePaths(raw: Record<string, unknown>, file: string): void {
  const rates = raw.rates ?? {};
  if (typeof rates !== 'object' || rates === null || Array.isArray(rates)) return;
  const dir = (rates as Record<string, unknown>).dir ?? 'rates';
  if (typeof dir !== 'string' || isAbsolute(dir)) return;
  raw.rates = { ...rates, dir: resolve(dirname(file), dir) };
}

/** Validates an already-parsed object (file content with overrides applied). */
export function validateConfig(raw: unknown, source: string): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    // One message per bad value: a value failing two checks (shape, then meaning) is reported by the first.
    const seen = new Set<string>();
    const issues = result.error.issues.filter((i) => {
      const key = pathText(i.path);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    throw new ConfigError(source, issues.map(describeIssue));
  }
  const config = result.data;
  config.instanceId ??= `${hostname()}-${process.pid}`;
  return config;
}

/**
 * Reads the YAML file (path from the argument, TOLLGATE_CONFIG, or the
 * default), applies environment overrides, and validates.
 */
export function loadConfig(path?: string, env: Env = process.env): Config {
  const file = path ?? env.TOLLGATE_CONFIG ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the config file: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, ['the file must hold a YAML mapping of sections (redis:, http:, …)']);
  }
  resolveFilePaths(raw as Record<string, unknown>, file);
  const problems: string[] = [];
  for (const [name, path, kind] of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (kind === 'int') {
      if (!/^\d+$/.test(value)) {
        problems.push(`${name} (${path.join('.')}): expected a whole number, got "${value}"`);
        continue;
      }
      setPath(raw as Record<string, unknown>, path, Number(value));
    } else if (kind === 'bool') {
      if (!/^(1|0|true|false)$/i.test(value)) {
        problems.push(`${name} (${path.join('.')}): expected 1, 0, true or false, got "${value}"`);
        continue;
      }
      setPath(raw as Record<string, unknown>, path, value === '1' || value.toLowerCase() === 'true');
    } else if (kind === 'evapi') {
      // "host:port[,host:port…]": each Kamailio's evapi socket, its JSON-RPC at kamailio.rpcUrl.
      const items = value.split(',').map((item) => item.trim());
      const bad = items.filter((item) => !/^[^\s:,]+:\d{1,5}$/.test(item) || Number(item.slice(item.lastIndexOf(':') + 1)) > 65535);
      if (bad.length > 0) {
        problems.push(`${name} (${path.join('.')}): expected host:port[,host:port…], e.g. 127.0.0.1:8448, got "${bad.join(',')}"`);
        continue;
      }
      setPath(raw as Record<string, unknown>, path, items.map((item) => ({ host: item.slice(0, item.lastIndexOf(':')), port: Number(item.slice(item.lastIndexOf(':') + 1)) })));
    } else {
      setPath(raw as Record<string, unknown>, path, name === 'TOLLGATE_RATES_DIR' ? resolve(value) : value);
    }
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return validateConfig(raw, file);
}
