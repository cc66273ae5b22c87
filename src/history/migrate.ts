/**
 * Forward-only, versioned schema migrations: src/history/migrations/NNN-name.sql,
 * applied in order, each in its own transaction, once. A file changed after
 * it was applied is refused (add a new one instead).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withClient, type PgPool } from './pg.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE = /^(\d{3})-([a-z0-9-]+)\.sql$/;
/** pg_advisory_lock key: one migrating instance at a time. */
const LOCK_KEY = 7_340_033;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function migrations(dir = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = FILE.exec(file);
    if (!m) continue;
    const sql = readFileSync(`${dir}${file}`, 'utf8');
    out.push({ version: Number(m[1]), name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return out;
}

export interface MigrationResult {
  applied: Array<{ version: number; name: string }>;
  current: number;
}

export async function migrate(pool: PgPool, dir?: string): Promise<MigrationResult> {
  const all = migrations(dir);
  return withClient(pool, async (client) => {
    try {
      await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
      await client.query(`CREATE TABLE IF NOT EXISTS history_migrations (
        version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = new Map<number, string>();
      for (const row of (await client.query<{ version: number; checksum: string }>('SELECT version, checksum FROM history_migrations')).rows) {
        done.set(row.version, row.checksum);
      }
      const applied: MigrationResult['applied'] = [];
      for (const m of all) {
        const sum = done.get(m.version);
        if (sum !== undefined) {
          if (sum !== m.checksum) {
            throw new Error(`migration ${String(m.version).padStart(3, '0')}-${m.name} changed after it was applied; migrations are forward-only: add a new file`);
          }
          continue;
        }
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO history_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${String(m.version).padStart(3, '0')}-${m.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
        applied.push({ version: m.version, name: m.name });
      }
      const known = [...done.keys(), ...applied.map((a) => a.version)];
      const newest = Math.max(0, ...all.map((m) => m.version));
      if (known.some((v) => v > newest)) {
        throw new Error(`the database has migration ${Math.max(...known)}, newer than this build knows (${newest}): run a newer tollgate`);
      }
      return { applied, current: Math.max(0, ...known) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    }
  });
}
